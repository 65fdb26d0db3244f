// Stands in for the server's request context in the bundled router type. A client never sees
// the context (it only shapes server-side handlers), and the real one reaches the database,
// logger and mail types, which a consumer of the SDK does not have.
export type Context = object;
