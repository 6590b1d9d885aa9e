import { registerRootComponent } from 'expo';
import { Root } from './src/app/Root';
registerRootComponent(Root);
