import { useId } from 'preact/hooks';

/** The input attributes the forms use (listed, so each field says exactly what it allows). */
export interface FieldProps {
  type?: 'text' | 'email' | 'password';
  autoComplete?: string;
  inputMode?: 'text' | 'numeric' | 'email';
  required?: boolean;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  label: string;
  value: string;
  onValue: (value: string) => void;
  /** Shown under the input, and read with it. */
  hint?: string;
  /** The server's message for this field (e.g. "must be at least 8 characters"). */
  error?: string | undefined;
}

/** A labelled input whose hint and error are tied to it (aria-describedby, aria-invalid). */
export function Field({ label, value, onValue, hint, error, type = 'text', ...input }: FieldProps) {
  const id = useId();
  const hintId = `${id}-hint`;
  const errorId = `${id}-error`;
  const describedBy = [hint ? hintId : '', error ? errorId : ''].filter(Boolean).join(' ');
  return (
    <div class="field">
      <label for={id}>{label}</label>
      {hint && (
        <p id={hintId} class="hint">
          {hint}
        </p>
      )}
      <input
        {...input}
        type={type}
        id={id}
        value={value}
        onInput={(event) => onValue(event.currentTarget.value)}
        aria-invalid={error ? true : undefined}
        aria-describedby={describedBy || undefined}
      />
      {error && (
        <p id={errorId} class="field-error">
          {label} {error}
        </p>
      )}
    </div>
  );
}
