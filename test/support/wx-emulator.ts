// The wx emulator lives in emulator/ (compiled into dist/, where `npm start`'s demo runs it); tests import it from here.
export * from '../../emulator/wx-emulator';
