const {CspParser} = require('./package/dist/parser.js');
const {CspEvaluator} = require('./package/dist/evaluator.js');
const policies = JSON.parse(require('fs').readFileSync(0, 'utf8'));
const sev = {10:'HIGH',20:'SYNTAX',30:'MEDIUM',40:'HIGH_MAYBE',45:'STRICT_CSP',50:'MEDIUM_MAYBE',60:'INFO',100:'NONE'};
const out = policies.map(p => {
  const csp = new CspParser(p).csp;
  return new CspEvaluator(csp).evaluate().filter(f => f.severity !== 100).map(f => [sev[f.severity], f.directive, f.value || null, f.description]);
});
console.log(JSON.stringify(out));
