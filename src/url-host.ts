/** The host of a parsed URL as a socket wants it: an IPv6 literal without its brackets. */
export function socketHost(url: URL): string {
  return url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
}
