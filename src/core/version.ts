export const SYNQX_VERSION = '0.1.0';
