// node:os for the bundle, without an ES module facade: see tools/bundle-builtins.ts.
module.exports = process.getBuiltinModule('node:os');
