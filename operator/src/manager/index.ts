export { Operator, type OperatorOptions } from './operator.js';
