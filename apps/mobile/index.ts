// First, before anything that builds a zod schema (see ./src/csp).
import './src/csp';
import { registerRootComponent } from 'expo';
import { Root } from './src/app/Root';

registerRootComponent(Root);
