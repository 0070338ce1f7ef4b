// The presets: channels a user could have written from src/'s public pieces, and can write their own the same way.
export { type ChatChannel, chatChannel, type ChatEvents, type ChatMessage, type ChatOptions, type RoomId, type Said } from './chat';
export { type ClockEstimate, type GameChannel, gameChannel, type GameEvents, type GameOptions, type GameState } from './game';
