// Prefers the accounts tagged for the requested model, and among them the one with the fewest
// requests in its current window. With no account tagged for the model, any account will do.
//
// Tag accounts with `rotor accounts add … --tags premium`. A tag named after the model itself
// (for example `o3`) works too, without an entry below.
// To use it: copy this file to plugins/ and set `rotation.strategy = prefer-tag-for-model`.

const TAG_FOR_MODEL = {
  'gpt-4o': 'premium',
  'gpt-4o-mini': 'cheap',
};

function pick(accounts, request) {
  const model = request.model || '';
  const tag = Object.hasOwn(TAG_FOR_MODEL, model) ? TAG_FOR_MODEL[model] : model;
  const tagged = accounts.filter(account => account.tags.includes(tag));
  const choices = tagged.length > 0 ? tagged : accounts;
  let best = choices[0];
  for (const account of choices) {
    if (account.requestsThisWindow < best.requestsThisWindow) {
      best = account;
    }
  }
  return best.id;
}
