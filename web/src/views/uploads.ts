/**
 * Uploads in progress: one row per file with a progress bar, pause/resume
 * (tus resumes from the server's offset) and retry after a failure. Several
 * files upload at once. A finished row stays a few seconds, then goes: the
 * file message in the room is the lasting result.
 */
import type { ParleyClient, UploadHandle } from '@parley/client';
import { errorText, formatBytes, h } from '../dom.js';

const FINISHED_ROW_MS = 6000;

export class UploadsPanel {
  readonly el: HTMLElement;
  private readonly list = h('ul', { class: 'upload-list', 'data-testid': 'upload-list' });

  constructor(private readonly client: ParleyClient) {
    this.el = h('section', { class: 'uploads', 'aria-label': 'Uploads', hidden: true }, this.list);
  }

  /** Starts uploading every file to `room`, all at once. */
  add(room: string, roomLabel: string, files: File[]): void {
    for (const file of files) this.start(room, roomLabel, file);
  }

  private start(room: string, roomLabel: string, file: File): void {
    const progress = h('progress', {
      max: Math.max(1, file.size),
      value: 0,
      'data-testid': 'upload-progress',
      'data-filename': file.name,
      'aria-label': `Upload of ${file.name}`,
    });
    const status = h('span', { class: 'upload-status', 'data-testid': 'upload-status', 'aria-live': 'polite' }, '0%');
    const pause = h('button', { type: 'button', class: 'small' }, 'Pause');
    const cancel = h('button', { type: 'button', class: 'small' }, 'Cancel');
    const row = h(
      'li',
      { class: 'upload', 'data-testid': 'upload-item', 'data-filename': file.name, 'data-state': 'uploading' },
      h('span', { class: 'upload-name' }, file.name, h('span', { class: 'muted' }, ` ${formatBytes(file.size)} → ${roomLabel}`)),
      progress,
      status,
      h('span', { class: 'row' }, pause, cancel),
    );
    this.list.append(row);
    this.el.hidden = false;

    let paused = false;
    const handle: UploadHandle = this.client.upload(room, file, {
      filename: file.name,
      ...(file.type ? { filetype: file.type } : {}),
      onProgress: (sent, total) => {
        progress.max = Math.max(1, total);
        progress.value = sent;
        if (row.dataset.state === 'uploading') status.textContent = `${total ? Math.floor((sent / total) * 100) : 100}%`;
      },
    });
    const setState = (state: string, text: string) => {
      row.dataset.state = state;
      status.textContent = text;
    };
    const watch = () => {
      handle.done.then(
        () => {
          setState('done', 'Uploaded');
          progress.value = progress.max;
          pause.remove();
          cancel.remove();
          setTimeout(() => this.removeRow(row), FINISHED_ROW_MS);
        },
        (err: unknown) => {
          setState('failed', `Failed: ${errorText(err)}`);
          pause.textContent = 'Retry';
          paused = true;
        },
      );
    };
    pause.addEventListener('click', () => {
      if (paused) {
        paused = false;
        pause.textContent = 'Pause';
        const failed = row.dataset.state === 'failed';
        setState('uploading', `${Math.floor((progress.value / progress.max) * 100)}%`);
        handle.start();
        // After a failure the handle has a fresh promise to watch; after a pause the old one still stands.
        if (failed) watch();
      } else {
        paused = true;
        pause.textContent = 'Resume';
        setState('paused', 'Paused');
        void handle.abort();
      }
    });
    cancel.addEventListener('click', () => {
      void handle.cancel();
      this.removeRow(row);
    });
    watch();
  }

  private removeRow(row: HTMLElement): void {
    row.remove();
    this.el.hidden = this.list.childElementCount === 0;
  }
}
