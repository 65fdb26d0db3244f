import Bowser from 'bowser';

/** Browser, OS and device type from a User-Agent, via a maintained parser. */
export function describeDevice(userAgent: string | undefined) {
  if (!userAgent) return {};
  const parsed = Bowser.parse(userAgent);
  const browser = [parsed.browser.name, parsed.browser.version?.split('.')[0]]
    .filter(Boolean)
    .join(' ');
  const os = [parsed.os.name, parsed.os.versionName ?? parsed.os.version].filter(Boolean).join(' ');
  return {
    browser: browser || undefined,
    os: os || undefined,
    type: parsed.platform.type || undefined,
  };
}
