// Mocha reporter: the spec reporter's output, plus this tier's pass/fail counts appended to the file named by
// EIO_TEST_TOTALS, so scripts/test.sh can print one closing line over every tier.
'use strict';
const fs = require('node:fs');
const Mocha = require('mocha');

class TotalsReporter extends Mocha.reporters.Spec {
  constructor(runner, options) {
    super(runner, options);
    runner.once(Mocha.Runner.constants.EVENT_RUN_END, () => {
      const file = process.env.EIO_TEST_TOTALS;
      if (!file) return;
      const s = this.stats;
      fs.appendFileSync(file, JSON.stringify({ tier: process.env.EIO_TEST_TIER ?? 'tests', passed: s.passes, failed: s.failures, pending: s.pending }) + '\n');
    });
  }
}
module.exports = TotalsReporter;
