// A target's current token: moved to config/credentials.ts (shared with the contract gate); this path stays for its importers.
export { TokenReader, jwtExpiry, type CurrentToken } from '../../config/credentials';
