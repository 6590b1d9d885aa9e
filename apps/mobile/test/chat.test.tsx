import { afterEach, beforeEach, describe, expect, jest, test } from '@jest/globals';
import { act, fireEvent, screen } from '@testing-library/react-native';
import type { SmallTalkClient } from '@small-talk/client';
import { TYPING_SEND_EVERY_MS, TYPING_SHOWN_MS } from '../src/defaults';
import { ChatPanel } from '../src/features/chat/ChatPanel';
import { ServicesContext } from '../src/services';
import { bo, fakeServices, renderWith, type TestServices } from './fakes';

let services: TestServices;
let client: SmallTalkClient;

async function renderChat() {
  return renderWith(services, <ChatPanel client={client} roomId="room-1" peerName="Bo" ended={false} />);
}

beforeEach(async () => {
  jest.useFakeTimers({ now: new Date('2026-05-04T18:00:00Z') });
  services = fakeServices();
  client = services.createClient(undefined);
  client.connect();
  await services.server.welcome();
  client.matchmaking.join(['music']);
  await services.server.match();
});

afterEach(() => {
  client.close();
  jest.useRealTimers();
});

const chatFrame = (text: string) =>
  ({ type: 'chat', roomId: 'room-1', from: bo.id, text, sentAt: '2026-05-04T18:00:01.000Z' }) as const;

describe('Chat', () => {
  test('sends what the user typed, shows it and clears the field', async () => {
    await renderChat();
    expect(screen.getByTestId('chat-send')).toBeDisabled();

    await fireEvent.changeText(screen.getByTestId('chat-input'), 'hi Bo!');
    await fireEvent.press(screen.getByTestId('chat-send'));

    expect(services.server.socket.sentOfType('chat')).toEqual([{ type: 'chat', roomId: 'room-1', text: 'hi Bo!' }]);
    expect(screen.getAllByTestId('chat-message').map((m) => m.props.children)).toEqual(['hi Bo!']);
    expect(screen.getByTestId('chat-input')).toHaveDisplayValue('');
  });

  test('Enter in the field sends too; blank messages are not sent', async () => {
    await renderChat();
    await fireEvent.changeText(screen.getByTestId('chat-input'), '   ');
    await fireEvent(screen.getByTestId('chat-input'), 'submitEditing');
    expect(services.server.socket.sentOfType('chat')).toHaveLength(0);

    await fireEvent.changeText(screen.getByTestId('chat-input'), 'hello');
    await fireEvent(screen.getByTestId('chat-input'), 'submitEditing');
    expect(services.server.socket.sentOfType('chat')).toHaveLength(1);
  });

  test("shows the peer's messages in order, after the user's own", async () => {
    await renderChat();
    await fireEvent.changeText(screen.getByTestId('chat-input'), 'hi');
    await fireEvent.press(screen.getByTestId('chat-send'));
    await services.server.socket.receive(chatFrame('hello!'));
    await services.server.socket.receive(chatFrame('what do you listen to?'));

    // The peer's lines come in a bidi isolate (see the test below); the user's own as typed.
    expect(screen.getAllByTestId('chat-message').map((m) => m.props.children)).toEqual([
      'hi',
      '\u2068hello!\u2069',
      '\u2068what do you listen to?\u2069',
    ]);
    expect(screen.getAllByTestId('chat-message')[1]).toHaveAccessibleName('Bo: hello!');
  });

  test('shows that the peer is typing, for a few seconds or until the message comes', async () => {
    await renderChat();
    const typing = { type: 'typing', roomId: 'room-1', from: bo.id } as const;

    await services.server.socket.receive(typing);
    expect(screen.getByTestId('peer-typing')).toHaveTextContent('\u2068Bo\u2069 is typing…');
    await act(async () => jest.advanceTimersByTime(TYPING_SHOWN_MS));
    expect(screen.queryByTestId('peer-typing')).not.toBeOnTheScreen();

    await services.server.socket.receive(typing);
    expect(screen.getByTestId('peer-typing')).toBeOnTheScreen();
    await services.server.socket.receive(chatFrame('done'));
    expect(screen.queryByTestId('peer-typing')).not.toBeOnTheScreen();
  });

  test("the peer's text and name are shown in a bidi isolate, so right-to-left text cannot reorder the screen around it", async () => {
    await renderWith(services, <ChatPanel client={client} roomId="room-1" peerName="محمد" ended={false} />);
    expect(screen.getByText('Say hi to \u2068محمد\u2069.')).toBeOnTheScreen();
    // A right-to-left override, and a stray isolate end that would close ours early, are dropped
    // even if the server let them through; what is left sits inside FSI … PDI.
    await services.server.socket.receive(chatFrame('\u202eمرحبا 123\u2069 ok'));
    expect(screen.getByTestId('chat-message').props.children).toBe('\u2068مرحبا 123 ok\u2069');
    await services.server.socket.receive({ type: 'typing', roomId: 'room-1', from: bo.id });
    expect(screen.getByTestId('peer-typing')).toHaveTextContent('\u2068محمد\u2069 is typing…');
  });

  test('tells the peer the user is typing, at most every few seconds', async () => {
    await renderChat();
    const input = screen.getByTestId('chat-input');
    await fireEvent.changeText(input, 'h');
    await fireEvent.changeText(input, 'he');
    await fireEvent.changeText(input, 'hel');
    expect(services.server.socket.sentOfType('typing')).toEqual([{ type: 'typing', roomId: 'room-1' }]);

    await act(async () => jest.advanceTimersByTime(TYPING_SEND_EVERY_MS));
    await fireEvent.changeText(input, 'hell');
    expect(services.server.socket.sentOfType('typing')).toHaveLength(2);
  });

  test('once the room is over, the lines stay and nothing more can be sent', async () => {
    const { rerender } = await renderChat();
    await services.server.socket.receive(chatFrame('bye'));
    await rerender(
      <ServicesContext.Provider value={services}>
        <ChatPanel client={client} roomId="room-1" peerName="Bo" ended />
      </ServicesContext.Provider>,
    );
    expect(screen.getByTestId('chat-message')).toHaveTextContent('\u2068bye\u2069');
    expect(screen.getByTestId('chat-input')).not.toBeEnabled();
    expect(screen.getByTestId('chat-send')).toBeDisabled();
  });
});
