// Picks at random, in proportion to each account's `weight` (set with `--weight`): an account of
// weight 3 gets three times the traffic of one of weight 1; weight 0 gets none while another
// account is available. (The built-in `weighted` strategy does the same without randomness.)
// To use it: copy this file to plugins/ and set `rotation.strategy = weighted-random`.

function pick(accounts, request) {
  const total = accounts.reduce((sum, account) => sum + Math.max(account.weight, 0), 0);
  if (total === 0) {
    return accounts[Math.floor(Math.random() * accounts.length)].id;
  }
  let ticket = Math.random() * total;
  for (const account of accounts) {
    ticket -= Math.max(account.weight, 0);
    if (ticket < 0) {
      return account.id;
    }
  }
  return accounts[accounts.length - 1].id;
}
