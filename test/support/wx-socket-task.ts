// Moved to emulator/ with the rest of the wx emulator; kept so existing imports keep working.
export * from '../../emulator/wx-socket-task';
