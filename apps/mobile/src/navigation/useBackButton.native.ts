import { useEffect } from 'react';
import { BackHandler, Platform } from 'react-native';

/** Android's back button runs `onBack` (and stays in the app) while `active`. */
export function useBackButton(active: boolean, onBack: () => void): void {
  useEffect(() => {
    if (Platform.OS !== 'android' || !active) return;
    const subscription = BackHandler.addEventListener('hardwareBackPress', () => {
      onBack();
      return true;
    });
    return () => subscription.remove();
  }, [active, onBack]);
}
