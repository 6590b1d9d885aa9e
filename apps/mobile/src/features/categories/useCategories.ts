import { useCallback, useEffect, useState } from 'react';
import type { Category } from '@small-talk/protocol';
import { describeApiError } from '../../api';
import { CATEGORIES_REFRESH_MS } from '../../defaults';
import { useServices } from '../../services';

export interface CategoriesState {
  /** Null until the first answer. */
  categories: Category[] | null;
  /** Set while the latest refresh failed; the last good list stays on screen. */
  error: string | null;
  reload(): void;
}

/** The server's categories with their `waiting` counts, refreshed while the screen is shown. */
export function useCategories(): CategoriesState {
  const { api } = useServices();
  const [categories, setCategories] = useState<Category[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [attempt, setAttempt] = useState(0);

  useEffect(() => {
    let live = true;
    const load = () =>
      api.categories().then(
        (list) => {
          if (!live) return;
          setCategories(list);
          setError(null);
        },
        (failure: unknown) => live && setError(describeApiError(failure)),
      );
    void load();
    const timer = setInterval(() => void load(), CATEGORIES_REFRESH_MS);
    return () => {
      live = false;
      clearInterval(timer);
    };
  }, [api, attempt]);

  const reload = useCallback(() => setAttempt((n) => n + 1), []);
  return { categories, error, reload };
}
