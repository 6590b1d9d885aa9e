// Every namespace of one language: the web bundle keeps each language but English in its own chunk (resources.ts).
import common from './common.json';
import errors from './errors.json';
import navigation from './navigation.json';
import welcome from './welcome.json';
import verification from './verification.json';
import profile from './profile.json';
import consent from './consent.json';
import offline from './offline.json';
import restriction from './restriction.json';
import call from './call.json';
import chat from './chat.json';
import shield from './shield.json';
import report from './report.json';
import categories from './categories.json';
import history from './history.json';
import friends from './friends.json';
import moderation from './moderation.json';
import safety from './safety.json';
import push from './push.json';
import a11y from './a11y.json';

export default {
  common,
  errors,
  navigation,
  welcome,
  verification,
  profile,
  consent,
  offline,
  restriction,
  call,
  chat,
  shield,
  report,
  categories,
  history,
  friends,
  moderation,
  safety,
  push,
  a11y,
};
