/** Send a file as the raw request body with upload progress (XMLHttpRequest: fetch reports none). */
import { ApiError, token } from '../api';

export const XLSX_MIME = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

export function fileType(f: File): string {
  return /\.xlsx$/i.test(f.name) ? XLSX_MIME : 'text/csv';
}

export function uploadFile<T>(url: string, file: File, onProgress: (sent: number, total: number) => void): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const x = new XMLHttpRequest();
    x.open('POST', url);
    const t = token();
    if (t) x.setRequestHeader('authorization', `Bearer ${t}`);
    x.setRequestHeader('content-type', fileType(file));
    x.setRequestHeader('accept', 'application/json');
    x.upload.onprogress = (e) => onProgress(e.loaded, e.lengthComputable ? e.total : file.size);
    x.onerror = () => reject(new ApiError(0, 'network', undefined, '无法连接服务器，请检查网络'));
    x.onload = () => {
      let body: { error?: string; field?: string; message?: string } = {};
      try {
        body = JSON.parse(x.responseText) as typeof body;
      } catch {
        /* not JSON */
      }
      if (x.status >= 200 && x.status < 300) resolve(body as T);
      else reject(new ApiError(x.status, body.error ?? `http_${x.status}`, body.field, body.message ?? x.statusText));
    };
    x.send(file);
  });
}
