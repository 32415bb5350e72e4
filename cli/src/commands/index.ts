export { up, describeForHumans, type UpOptions } from './up.js';
export { down } from './down.js';
export { status } from './status.js';
export { demo, type DemoOptions } from './demo.js';
export { CommandError, processIO, type CommandIO } from './io.js';
