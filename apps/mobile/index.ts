// First, before anything that builds a zod schema (see ./src/csp).
import './src/csp';
// Before any screen: the first frame is already in the device's (or the chosen) language.
import './src/i18n/i18n';
import { registerRootComponent } from 'expo';
import { Root } from './src/navigation/Root';
import { withUiLanguage } from './src/i18n/withUiLanguage';

registerRootComponent(withUiLanguage(Root));
