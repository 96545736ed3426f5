// A file sent to a presigned POST form (S3): straight from the browser to the bucket, with upload progress.

export interface PresignedForm {
  url: string;
  fields: Record<string, string>;
}

/** Thrown when the bucket refuses the upload (its XML error's Code and Message) or it never arrives. */
export class UploadError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** The Code and Message of S3's XML error body, when it has them. */
export function s3Error(body: string): { code: string; message: string } | null {
  const code = /<Code>([^<]*)<\/Code>/.exec(body)?.[1];
  const message = /<Message>([^<]*)<\/Message>/.exec(body)?.[1];
  return code ? { code, message: message ?? code } : null;
}

/** A name the API takes for an uploaded file (letters, digits, `_ . -`, starting with a letter or digit). */
export function safeFileName(name: string, fallback = "codes.csv"): string {
  const cleaned = name
    .normalize("NFKD")
    .replace(/[\u0300-\u036f]/g, "")
    .replace(/[^A-Za-z0-9_.-]+/g, "_")
    .replace(/^[^A-Za-z0-9]+/, "")
    .slice(0, 100);
  return cleaned || fallback;
}

/** POST the form's fields and the file (last, as S3 wants it); `onProgress` gets the share sent, 0 to 1. */
export function uploadToForm(form: PresignedForm, file: Blob, onProgress: (share: number) => void, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const body = new FormData();
    for (const [name, value] of Object.entries(form.fields)) body.append(name, value);
    body.append("file", file);
    const xhr = new XMLHttpRequest();
    xhr.open("POST", form.url);
    xhr.upload.onprogress = (event) => event.lengthComputable && onProgress(event.loaded / event.total);
    xhr.onload = () => {
      if (xhr.status >= 200 && xhr.status < 300) {
        onProgress(1);
        resolve();
        return;
      }
      const found = s3Error(xhr.responseText ?? "");
      reject(new UploadError(xhr.status, found?.code ?? `http_${xhr.status}`, found?.message ?? xhr.statusText));
    };
    xhr.onerror = () => reject(new UploadError(0, "network", "network"));
    xhr.onabort = () => reject(new DOMException("aborted", "AbortError"));
    signal?.addEventListener("abort", () => xhr.abort());
    xhr.send(body);
  });
}
