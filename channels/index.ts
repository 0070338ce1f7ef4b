// The presets: channels a user could have written from src/'s public pieces, and can write their own the same way.
export { chatChannel } from './chat/channel';
export { type ChatChannel, type ChatEvents, type ChatMessage, type ChatOptions, DEFAULT_SAY_RETRY, type Presence, type RoomId, type Said, type SayRetryOptions } from './chat/types';
export { type ClockEstimate, type GameChannel, gameChannel, type GameEvents, type GameOptions, type GameState } from './game';
