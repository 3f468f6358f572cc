// Spreads accounts over the day: an account tagged `hours:8-18` serves only from 08:00 to 17:59
// (the server's local time), `hours:22-6` only from 22:00 to 05:59; untagged accounts serve at
// any hour. Among the accounts on duty now, the one with the fewest requests in its window wins.
// When no account is on duty, any account will do: a request is better served off-hours than not.
// To use it: copy this file to plugins/ and set `rotation.strategy = time-of-day`.

function onDuty(account, hour) {
  const tag = account.tags.find(t => t.startsWith('hours:'));
  if (tag === undefined) {
    return true;
  }
  const [from, to] = tag.slice('hours:'.length).split('-').map(Number);
  return from <= to ? hour >= from && hour < to : hour >= from || hour < to;
}

function pick(accounts, request) {
  const hour = new Date().getHours();
  const duty = accounts.filter(account => onDuty(account, hour));
  const choices = duty.length > 0 ? duty : accounts;
  let best = choices[0];
  for (const account of choices) {
    if (account.requestsThisWindow < best.requestsThisWindow) {
      best = account;
    }
  }
  return best.id;
}
