// A paginated listing (`items`, `next_token`): the first page loaded with its state, further pages on demand.
import { useState } from "react";
import { useLocale } from "../lib/i18n";
import { ErrorMessage, useLoad } from "../lib/ui";
import type { Page } from "./types";

export function usePages<T>(load: (token: string | undefined, signal?: AbortSignal) => Promise<Page<T>>, deps: unknown[]) {
  const first = useLoad(async (signal) => {
    const page = await load(undefined, signal);
    setMore({ items: [], next: page.next_token ?? undefined });
    return page;
  }, deps);
  const [more, setMore] = useState<{ items: T[]; next?: string }>({ items: [] });
  const [moreError, setMoreError] = useState<unknown>();
  const [loadingMore, setLoadingMore] = useState(false);
  const next = more.next;
  const loadMore = async () => {
    if (!next) return;
    setLoadingMore(true);
    setMoreError(undefined);
    try {
      const page = await load(next);
      setMore((m) => ({ items: [...m.items, ...page.items], next: page.next_token ?? undefined }));
    } catch (error) {
      setMoreError(error);
    } finally {
      setLoadingMore(false);
    }
  };
  return {
    items: first.data ? [...first.data.items, ...more.items] : undefined,
    loading: first.loading,
    error: first.error,
    reload: first.reload,
    hasMore: Boolean(next),
    loadMore,
    loadingMore,
    moreError,
  };
}

/** Under a listing: the error of the last page asked for, and "Load more" while there is more. */
export function MorePages({ pages }: { pages: ReturnType<typeof usePages<unknown>> }) {
  const { t } = useLocale();
  return (
    <>
      {pages.moreError !== undefined && <ErrorMessage error={pages.moreError} onRetry={pages.loadMore} />}
      {pages.hasMore && (
        <button type="button" onClick={pages.loadMore} disabled={pages.loadingMore}>
          {t("common.more")}
        </button>
      )}
    </>
  );
}
