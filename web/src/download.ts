/**
 * Saves a downloaded file under its exact name: the SDK fetches it with the
 * access token (a plain link could not send it), the Blob becomes an object
 * URL, and a temporary link with `download` hands it to the browser.
 */
export function saveDownload(blob: Blob, filename: string, near: HTMLElement): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  a.hidden = true;
  near.after(a);
  a.click();
  a.remove();
  // The browser has taken the URL once the click is handled; free the memory later.
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}
