/**
 * The web has no hardware back button (the browser's own is history, which this app does not
 * use), and react-native-web logs an error whenever BackHandler is touched: nothing to do here.
 */
export function useBackButton(_active: boolean, _onBack: () => void): void {}
