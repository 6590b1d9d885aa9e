import { useEffect, useState } from 'react';
import { ONLINE_REFRESH_MS } from '../../defaults';
import { useServices } from '../../services';

/**
 * How many people are online (GET /api/stats), refreshed while the screen shows. Null until the
 * first answer; a failed refresh keeps the last count (the categories' own error says the
 * server can't be reached).
 */
export function useOnlineCount(): number | null {
  const { api } = useServices();
  const [online, setOnline] = useState<number | null>(null);

  useEffect(() => {
    let live = true;
    const load = () =>
      api.stats().then(
        (stats) => live && setOnline(stats.online),
        () => {},
      );
    void load();
    const timer = setInterval(() => void load(), ONLINE_REFRESH_MS);
    return () => {
      live = false;
      clearInterval(timer);
    };
  }, [api]);

  return online;
}
