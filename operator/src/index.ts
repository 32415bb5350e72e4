export const OPERATOR_PLACEHOLDER = true;
