// Sends each request to the account that has waited longest since it was last used; accounts
// never used (lastUsed is 0) come first. Spreads load evenly even when accounts come and go.
// To use it: copy this file to plugins/ and set `rotation.strategy = least-recently-used`.

function pick(accounts, request) {
  let best = accounts[0];
  for (const account of accounts) {
    if (account.lastUsed < best.lastUsed) {
      best = account;
    }
  }
  return best.id;
}
