// A coupon's imports tab: pick a file of codes, upload it straight to the bucket's presigned form with a
// progress bar (POST /coupons/{id}/imports gives the form), then follow its job (GET /coupons/{id}/imports)
// until it ends: its counts per reason and the failed-codes CSV.
import { useEffect, useRef, useState, type FormEvent } from "react";
import { api } from "../lib/api";
import type { Session } from "../lib/auth";
import { formatTime } from "../lib/format";
import { addMessages, useLocale } from "../lib/i18n";
import { ErrorMessage, Field, Loading, useLoad } from "../lib/ui";
import { safeFileName, uploadToForm, UploadError, type PresignedForm } from "../lib/upload";
import { ended, FailedCodes, fileName, JobCard, type ImportJob } from "./ImportJob";
import type { Coupon } from "./types";
import "./ops.css";

addMessages({
  en: {
    "console.imports.title": "Import codes",
    "console.imports.notImported": "This coupon makes its own codes: only a coupon with imported codes takes a file of codes.",
    "console.imports.file": "File of codes",
    "console.imports.fileHint": "One code per line, or a CSV with a “code” column; up to 100,000 codes.",
    "console.imports.upload": "Upload and import",
    "console.imports.uploading": "Uploading {file}",
    "console.imports.progress": "Upload progress",
    "console.imports.waiting": "Uploaded. Waiting for the import to start…",
    "console.imports.tooLarge": "The file is larger than {size} MB.",
    "console.imports.refused": "The upload was refused: {message}",
    "console.imports.history": "Earlier imports",
    "console.imports.none": "No earlier imports.",
    "console.imports.col.file": "File",
    "console.imports.col.started": "Started",
    "console.imports.col.status": "Status",
    "console.imports.col.imported": "Imported",
    "console.imports.col.failed": "Failed",
    "console.imports.col.download": "Failed codes",
  },
  "zh-CN": {
    "console.imports.title": "导入券码",
    "console.imports.notImported": "此券由系统生成券码：只有“导入券码”类型的券才能上传券码文件。",
    "console.imports.file": "券码文件",
    "console.imports.fileHint": "每行一个券码，或带有“code”列的 CSV 文件；最多 100,000 个券码。",
    "console.imports.upload": "上传并导入",
    "console.imports.uploading": "正在上传 {file}",
    "console.imports.progress": "上传进度",
    "console.imports.waiting": "已上传，等待导入开始…",
    "console.imports.tooLarge": "文件超过 {size} MB。",
    "console.imports.refused": "上传被拒绝：{message}",
    "console.imports.history": "以往的导入",
    "console.imports.none": "暂无以往的导入。",
    "console.imports.col.file": "文件",
    "console.imports.col.started": "开始时间",
    "console.imports.col.status": "状态",
    "console.imports.col.imported": "导入成功",
    "console.imports.col.failed": "导入失败",
    "console.imports.col.download": "失败券码",
  },
});

const POLL_MS = 1500;

interface UploadForm extends PresignedForm {
  key: string;
  max_bytes: number;
}

// The upload in hand: its progress, then the job it makes (found by its file name among the jobs that were
// not there before it).
interface Upload {
  fileName: string;
  progress: number;
  sent: boolean;
  before: Set<string>;
  jobId?: string;
}

export function Imports({ session, coupon }: { session: Session; coupon: Coupon }) {
  void session;
  const { t, locale } = useLocale();
  const couponId = coupon.coupon_id;
  const jobs = useLoad((signal) => api<{ items: ImportJob[] }>("GET", `/coupons/${couponId}/imports`, { signal }).then((p) => p.items), [couponId]);
  const [file, setFile] = useState<File>();
  const [upload, setUpload] = useState<Upload>();
  const [error, setError] = useState<unknown>();
  const input = useRef<HTMLInputElement>(null);

  // The job of this upload, once the list shows it.
  const current = upload?.sent ? jobs.data?.find((job) => (upload.jobId ? job.job_id === upload.jobId : !upload.before.has(job.job_id) && fileName(job) === upload.fileName)) : undefined;
  useEffect(() => {
    if (current && upload && !upload.jobId) setUpload({ ...upload, jobId: current.job_id });
  }, [current, upload]);
  // Refreshing until done: while this upload's job has not appeared, or any job is still going.
  const going = (upload?.sent && (!current || !ended(current))) || jobs.data?.some((job) => !ended(job));
  useEffect(() => {
    if (!going || jobs.loading || jobs.error) return;
    const timer = window.setTimeout(jobs.reload, POLL_MS);
    return () => window.clearTimeout(timer);
  }, [going, jobs.loading, jobs.error, jobs.data, jobs.reload]);

  const send = async (event: FormEvent) => {
    event.preventDefault();
    if (!file) return;
    setError(undefined);
    const name = safeFileName(file.name);
    const started: Upload = { fileName: name, progress: 0, sent: false, before: new Set((jobs.data ?? []).map((job) => job.job_id)) };
    setUpload(started);
    try {
      const form = await api<UploadForm>("POST", `/coupons/${couponId}/imports`, { body: { file_name: name } });
      if (file.size > form.max_bytes) throw new Error(t("console.imports.tooLarge", { size: Math.floor(form.max_bytes / 1_000_000) }));
      await uploadToForm(form, file, (progress) => setUpload((u) => u && { ...u, progress }));
      setUpload((u) => u && { ...u, progress: 1, sent: true });
      setFile(undefined);
      if (input.current) input.current.value = "";
      jobs.reload();
    } catch (failure) {
      setUpload(undefined);
      setError(failure instanceof UploadError && failure.status ? new Error(t("console.imports.refused", { message: failure.message })) : failure);
    }
  };

  if (coupon.codes.mode !== "imported") {
    return (
      <section aria-labelledby="imports-title">
        <h2 id="imports-title">{t("console.imports.title")}</h2>
        <p>{t("console.imports.notImported")}</p>
      </section>
    );
  }
  const uploading = upload !== undefined && !upload.sent;
  const others = (jobs.data ?? []).filter((job) => job.job_id !== current?.job_id);
  return (
    <section aria-labelledby="imports-title" className="imports">
      <h2 id="imports-title">{t("console.imports.title")}</h2>
      <form className="card" onSubmit={send}>
        <Field label={t("console.imports.file")} hint={t("console.imports.fileHint")}>
          {(props) => <input {...props} ref={input} type="file" accept=".csv,.txt,text/csv,text/plain" onChange={(e) => setFile(e.target.files?.[0])} disabled={uploading} />}
        </Field>
        <button type="submit" disabled={!file || uploading}>
          {t("console.imports.upload")}
        </button>
        {upload && !upload.jobId && (
          <div className="upload-progress" role="status">
            <p>{upload.sent ? t("console.imports.waiting") : t("console.imports.uploading", { file: upload.fileName })}</p>
            <progress max={100} value={Math.round(upload.progress * 100)} aria-label={t("console.imports.progress")}>
              {Math.round(upload.progress * 100)}%
            </progress>
            <span aria-hidden="true"> {Math.round(upload.progress * 100)}%</span>
          </div>
        )}
        {error !== undefined && <ErrorMessage error={error} />}
      </form>
      {current && <JobCard job={current} timeZone={coupon.time_zone} />}
      <h3>{t("console.imports.history")}</h3>
      {jobs.error !== undefined && <ErrorMessage error={jobs.error} onRetry={jobs.reload} />}
      {!jobs.data && jobs.loading && <Loading />}
      {jobs.data && !others.length && <p>{t("console.imports.none")}</p>}
      {others.length > 0 && (
        <div className="table-scroll" tabIndex={0} role="group" aria-label={t("console.imports.history")}>
          <table>
            <thead>
              <tr>
                <th scope="col">{t("console.imports.col.file")}</th>
                <th scope="col">{t("console.imports.col.started")}</th>
                <th scope="col">{t("console.imports.col.status")}</th>
                <th scope="col">{t("console.imports.col.imported")}</th>
                <th scope="col">{t("console.imports.col.failed")}</th>
                <th scope="col">{t("console.imports.col.download")}</th>
              </tr>
            </thead>
            <tbody>
              {others.map((job) => (
                <tr key={job.job_id}>
                  <td>{fileName(job)}</td>
                  <td>{formatTime(job.created_at, coupon.time_zone, locale)}</td>
                  <td>{t(`console.importJob.status.${job.status}`)}</td>
                  <td>{job.imported}</td>
                  <td>{job.failed}</td>
                  <td>
                    <FailedCodes job={job} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
