import { useCallback, useState } from 'react';
import { readStored, writeStored } from '../../device/store';

const KEY = 'anyone';

/**
 * "Meet anyone after 10 s", kept on the device. On by default: with few people online a wait
 * in one category can last forever, and the user sees the switch before pressing Start.
 */
export function useAnyoneSetting(): { anyone: boolean; setAnyone(on: boolean): void } {
  const [anyone, setState] = useState(() => readStored(KEY) !== false);
  const setAnyone = useCallback((on: boolean) => {
    setState(on);
    writeStored(KEY, on);
  }, []);
  return { anyone, setAnyone };
}
