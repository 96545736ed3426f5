// One import job as the console shows it: its state, its counts per reason, the failed-codes CSV download.
import { useState } from "react";
import { formatTime } from "../lib/format";
import { addMessages, useLocale } from "../lib/i18n";
import { ErrorMessage, saveBlob } from "../lib/ui";

export interface ImportJob {
  job_id: string;
  coupon_id: string;
  file_name: string;
  status: "pending" | "running" | "finished" | "rejected";
  reason?: string | null;
  codes: number;
  imported: number;
  failed: number;
  counts: Record<string, number>;
  created_at: string;
  finished_at?: string | null;
  duration_seconds?: number | null;
  failed_codes_url?: string | null;
}

export const REASONS = ["malformed", "too_guessable", "duplicate_in_file", "already_exists"] as const;
const REJECTIONS = ["binary", "not_utf8", "too_many_codes", "no_codes", "too_large", "not_imported_mode", "not_your_coupon"];

addMessages({
  en: {
    "console.importJob.status.pending": "Waiting to start",
    "console.importJob.status.running": "Importing…",
    "console.importJob.status.finished": "Finished",
    "console.importJob.status.rejected": "Rejected",
    "console.importJob.codes": "Codes in the file",
    "console.importJob.imported": "Imported",
    "console.importJob.failed": "Failed",
    "console.importJob.reason.malformed": "Not a valid code",
    "console.importJob.reason.too_guessable": "Too easy to guess",
    "console.importJob.reason.duplicate_in_file": "Twice in the file",
    "console.importJob.reason.already_exists": "Already a code",
    "console.importJob.rejected.binary": "The file is not text.",
    "console.importJob.rejected.not_utf8": "The file is not UTF-8 text.",
    "console.importJob.rejected.too_many_codes": "The file has more than 100,000 codes.",
    "console.importJob.rejected.no_codes": "The file has no codes.",
    "console.importJob.rejected.too_large": "The file is too large.",
    "console.importJob.rejected.not_imported_mode": "This coupon does not take imported codes.",
    "console.importJob.rejected.not_your_coupon": "This coupon is not yours.",
    "console.importJob.rejected.other": "The file was rejected ({reason}).",
    "console.importJob.download": "Download the failed codes (CSV)",
    "console.importJob.took": "Took {seconds} s",
  },
  "zh-CN": {
    "console.importJob.status.pending": "等待开始",
    "console.importJob.status.running": "正在导入…",
    "console.importJob.status.finished": "已完成",
    "console.importJob.status.rejected": "已拒绝",
    "console.importJob.codes": "文件中的券码",
    "console.importJob.imported": "导入成功",
    "console.importJob.failed": "导入失败",
    "console.importJob.reason.malformed": "券码格式无效",
    "console.importJob.reason.too_guessable": "券码过于简单",
    "console.importJob.reason.duplicate_in_file": "文件内重复",
    "console.importJob.reason.already_exists": "券码已存在",
    "console.importJob.rejected.binary": "文件不是文本文件。",
    "console.importJob.rejected.not_utf8": "文件不是 UTF-8 编码的文本。",
    "console.importJob.rejected.too_many_codes": "文件中的券码超过 100,000 个。",
    "console.importJob.rejected.no_codes": "文件中没有券码。",
    "console.importJob.rejected.too_large": "文件过大。",
    "console.importJob.rejected.not_imported_mode": "此券不支持导入券码。",
    "console.importJob.rejected.not_your_coupon": "此券不属于您。",
    "console.importJob.rejected.other": "文件被拒绝（{reason}）。",
    "console.importJob.download": "下载导入失败的券码（CSV）",
    "console.importJob.took": "耗时 {seconds} 秒",
  },
});

/** The file's name as the merchant picked it (the stored name starts with the upload's own 12-digit prefix). */
export function fileName(job: ImportJob): string {
  return job.file_name.replace(/^[0-9a-f]{12}-/, "");
}

export function ended(job: ImportJob): boolean {
  return job.status === "finished" || job.status === "rejected";
}

/** The failed-codes CSV, read from its presigned link (never shown or kept) and saved under the file's name. */
export function FailedCodes({ job }: { job: ImportJob }) {
  const { t } = useLocale();
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  if (!job.failed_codes_url || !job.failed) return null;
  const download = async () => {
    setBusy(true);
    setError(undefined);
    try {
      const response = await fetch(job.failed_codes_url!);
      if (!response.ok) throw new Error(`${response.status} ${response.statusText}`);
      saveBlob(await response.blob(), `failed-codes-${fileName(job).replace(/\.[^.]*$/, "")}.csv`);
    } catch (failure) {
      setError(failure);
    } finally {
      setBusy(false);
    }
  };
  return (
    <>
      <button type="button" onClick={download} disabled={busy}>
        {t("console.importJob.download")}
      </button>
      {error !== undefined && <ErrorMessage error={error} />}
    </>
  );
}

export function JobCard({ job, timeZone }: { job: ImportJob; timeZone: string }) {
  const { t, locale } = useLocale();
  const number = (n: number) => new Intl.NumberFormat(locale).format(n);
  const rejection = job.reason && REJECTIONS.includes(job.reason) ? t(`console.importJob.rejected.${job.reason}`) : t("console.importJob.rejected.other", { reason: job.reason ?? "?" });
  return (
    <article className="card import-job" aria-labelledby={`job-${job.job_id}`}>
      <h3 id={`job-${job.job_id}`}>
        {fileName(job)} · {formatTime(job.created_at, timeZone, locale)}
      </h3>
      <p role={ended(job) ? undefined : "status"} className={`job-status ${job.status}`}>
        {t(`console.importJob.status.${job.status}`)}
        {job.duration_seconds != null && ` · ${t("console.importJob.took", { seconds: job.duration_seconds.toFixed(1) })}`}
      </p>
      {job.status === "rejected" && <p role="alert">{rejection}</p>}
      {job.status !== "rejected" && (
        <dl className="job-counts">
          {(
            [
              ["codes", job.codes],
              ["imported", job.imported],
              ["failed", job.failed],
            ] as const
          ).map(([name, value]) => (
            <div key={name}>
              <dt>{t(`console.importJob.${name}`)}</dt>
              <dd>{number(value)}</dd>
            </div>
          ))}
          {REASONS.filter((reason) => job.counts[reason]).map((reason) => (
            <div key={reason} className="job-reason">
              <dt>{t(`console.importJob.reason.${reason}`)}</dt>
              <dd>{number(job.counts[reason])}</dd>
            </div>
          ))}
        </dl>
      )}
      <FailedCodes job={job} />
    </article>
  );
}
