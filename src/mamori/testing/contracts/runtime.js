// Prints the optimised runtime bytecode of contract argv[3] in argv[2], compiled with the npm solc package
// pinned in package.json (used by the tests to check the committed bytecode of BalanceReader).
const solc = require(process.cwd() + '/node_modules/solc');
const fs = require('fs');
const input = {language: 'Solidity', sources: {[require('path').basename(process.argv[2])]: {content: fs.readFileSync(process.argv[2], 'utf8')}},
  settings: {optimizer: {enabled: true, runs: 200}, outputSelection: {'*': {'*': ['evm.deployedBytecode.object']}}}};
const out = JSON.parse(solc.compile(JSON.stringify(input)));
if (out.errors && out.errors.some(e => e.severity === 'error')) { console.error(JSON.stringify(out.errors)); process.exit(1); }
process.stdout.write(out.contracts[require('path').basename(process.argv[2])][process.argv[3]].evm.deployedBytecode.object);
