/// <reference types="vite/client" />

interface ImportMetaEnv {
  /** The API's origin when it is not the page's own (see src/api.ts). */
  readonly VITE_CRYPTWEB_API_URL?: string;
}
