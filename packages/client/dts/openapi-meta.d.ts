// Stands in for trpc-to-openapi's procedure metadata in the bundled router type. Metadata only
// drives the server's REST routes; a tRPC client never reads it.
export type OpenApiMeta = object;
