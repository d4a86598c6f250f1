export * from './parse.js'
export * from './checks.js'
