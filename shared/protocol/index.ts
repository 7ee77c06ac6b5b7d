export * from './frames.js';
export * from './codec.js';
