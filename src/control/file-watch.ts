// Watching the config file for changes: its folder is watched (not the file),
// so an editor's write-to-temp-then-rename, a Kubernetes ConfigMap's symlink
// swap (`..data` replaced in the same folder) and an in-place write are all
// seen. Events are debounced, and the caller is told only when the file's
// bytes differ from the last ones it was told about — a half-written file is
// read, fails validation, and the final write arrives as one more change.
// Must not parse or apply anything.
import fs from 'node:fs';
import path from 'node:path';
import { watch, type FSWatcher } from 'chokidar';

export interface FileWatch {
  close(): Promise<void>;
}

export function watchConfigFile(file: string, initialText: string, onChange: (text: string | null, error: string | null) => void, debounceMs = 150): FileWatch {
  const dir = path.dirname(path.resolve(file));
  let last: string | null = initialText;
  let timer: NodeJS.Timeout | null = null;
  const check = () => {
    timer = null;
    let text: string | null = null;
    let error: string | null = null;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      // Between an editor's unlink and rename the file is briefly absent: the rename brings another event.
      if (e.code === 'ENOENT') return;
      error = e.message;
    }
    if (text !== null && text === last) return;
    last = text;
    onChange(text, error);
  };
  const watcher: FSWatcher = watch(dir, { depth: 0, ignoreInitial: true, followSymlinks: false });
  watcher.on('all', () => {
    if (timer !== null) clearTimeout(timer);
    timer = setTimeout(check, debounceMs);
  });
  watcher.on('error', () => { /* a vanished folder: nothing to reload until it is back */ });
  return {
    async close() {
      if (timer !== null) clearTimeout(timer);
      await watcher.close();
    },
  };
}
