// The database schema, one file per area; drizzle-kit and the query builder read it from here.
export * from './tables/core.js';
export * from './tables/mfa.js';
export * from './tables/security.js';
