/**
 * Session settings of every agent connection (capture's walsender included), so that the text
 * representation of values is the same on both sides: what pgoutput prints on the primary is
 * parsed and compared on the secondaries with the same DateStyle, TimeZone, float digits…
 */
export const SESSION_OPTIONS = [
  '-c DateStyle=ISO,MDY',
  '-c IntervalStyle=postgres',
  '-c TimeZone=UTC',
  '-c extra_float_digits=3',
  '-c bytea_output=hex',
  '-c default_transaction_read_only=off',
].join(' ');

export const APPLICATION_NAME = 'borealis-agent';
