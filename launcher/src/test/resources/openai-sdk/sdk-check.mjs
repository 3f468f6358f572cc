// Drives Rotor with the official OpenAI Node SDK, as a developer who points the SDK at Rotor would.
// Run by OpenAiSdkIT: `node sdk-check.mjs '<config JSON>'` in the folder where `openai` is installed.
//
// It asserts nothing itself: it records what the SDK returned or threw for each check and prints one
// line `@@result {...}` that the Java side asserts on. Progress lines start with `@@` too
// (`@@stream-started`, `@@first-chunk`), so the Java side can hold the upstream's stream open.
// A check that throws is recorded as {ok: false, error: {...}}; the script itself exits 0 unless it crashes.

import OpenAI from 'openai';
import { VERSION } from 'openai/version';

const config = JSON.parse(process.argv[2]);
const MESSAGES = [{ role: 'user', content: 'hi' }];

function client(apiKey) {
  // As a user writes it; retries off so that an error reaches us as Rotor sent it.
  return new OpenAI({ baseURL: config.baseURL, apiKey, maxRetries: 0, timeout: config.timeoutMs });
}

function progress(event) {
  process.stdout.write(`@@${event}\n`);
}

function headers(h) {
  return h ? Object.fromEntries(h.entries()) : null;
}

function describeError(err) {
  const body = err?.error;
  return {
    class: err?.constructor?.name ?? typeof err,
    instanceOf: Object.fromEntries(['APIError', 'AuthenticationError', 'RateLimitError', 'BadRequestError',
      'APIConnectionError', 'APIConnectionTimeoutError'].map((name) => [name, err instanceof OpenAI[name]])),
    status: err?.status ?? null,
    message: String(err?.message ?? err),
    code: err?.code ?? null,
    type: err?.type ?? null,
    // Rotor sends "param": null; undefined here means the field was missing.
    paramPresent: body != null && typeof body === 'object' && 'param' in body,
    error: body ?? null,
    requestID: err?.requestID ?? null,
    headers: headers(err?.headers),
    cause: err?.cause ? String(err.cause) : null,
  };
}

async function check(run) {
  const started = Date.now();
  try {
    const observed = await run();
    return { ok: true, ms: Date.now() - started, ...observed };
  } catch (err) {
    return { ok: false, ms: Date.now() - started, error: describeError(err) };
  }
}

const user = client(config.userKey);
const result = { sdkVersion: VERSION, node: process.version };

result.chat = await check(async () => {
  const { data, response, request_id } = await user.chat.completions
    .create({ model: config.model, messages: MESSAGES })
    .withResponse();
  return {
    status: response.status,
    body: data,
    content: data.choices?.[0]?.message?.content ?? null,
    id: data.id ?? null,
    usage: data.usage ?? null,
    requestIdProperty: data._request_id ?? null,
    requestIdFromWithResponse: request_id ?? null,
    headers: headers(response.headers),
  };
});

result.requestIdEcho = await check(async () => {
  const completion = await user.chat.completions.create({ model: config.model, messages: MESSAGES },
    { headers: { 'X-Request-Id': config.requestId } });
  return { requestIdProperty: completion._request_id ?? null };
});

result.stream = await check(async () => {
  progress('stream-started');
  const { data: stream, response } = await user.chat.completions
    .create({ model: config.model, messages: MESSAGES, stream: true })
    .withResponse();
  const chunks = [];
  for await (const chunk of stream) {
    chunks.push(chunk);
    if (chunks.length === 1) {
      progress('first-chunk');
    }
  }
  return {
    status: response.status,
    headers: headers(response.headers),
    contents: chunks.map((c) => c.choices?.[0]?.delta?.content ?? null),
    objects: chunks.map((c) => c.object ?? null),
    ids: chunks.map((c) => c.id ?? null),
  };
});

result.models = await check(async () => {
  const models = [];
  for await (const model of user.models.list()) {
    models.push(model);
  }
  return { ids: models.map((m) => m.id), objects: models.map((m) => m.object) };
});

result.embeddings = await check(async () => {
  // encoding_format given: the SDK passes the upstream's floats on as they are.
  const { data, response } = await user.embeddings
    .create({ model: config.embeddingModel, input: 'x', encoding_format: 'float' })
    .withResponse();
  return { body: data, headers: headers(response.headers) };
});

result.embeddingsDefault = await check(async () => {
  // No encoding_format: the SDK asks for base64 and decodes the float32 values itself.
  const embeddings = await user.embeddings.create({ model: config.embeddingModel, input: 'x' });
  return { embedding: embeddings.data?.[0]?.embedding ?? null };
});

result.wrongKey = await check(async () => {
  const completion = await client(config.wrongKey).chat.completions.create({ model: config.model, messages: MESSAGES });
  return { unexpected: completion };
});

result.unknownModel = await check(async () => {
  const completion = await user.chat.completions.create({ model: 'no-such-model', messages: MESSAGES });
  return { unexpected: completion };
});

const limited = client(config.limitedKey);
result.rateLimited = await check(async () => {
  const completion = await limited.chat.completions.create({ model: config.model, messages: MESSAGES });
  return { unexpected: completion };
});
result.noAvailableAccounts = await check(async () => {
  const completion = await limited.chat.completions.create({ model: config.model, messages: MESSAGES });
  return { unexpected: completion };
});

result.streamCut = await check(async () => {
  const stream = await client(config.cutKey).chat.completions
    .create({ model: config.cutModel, messages: MESSAGES, stream: true });
  const contents = [];
  try {
    for await (const chunk of stream) {
      contents.push(chunk.choices?.[0]?.delta?.content ?? null);
    }
  } catch (err) {
    return { contents, thrown: describeError(err) };
  }
  return { contents, thrown: null };
});

// The gemini-code-assist plugin's answers, which Rotor writes itself (translated from Code Assist's),
// unlike the openai adapter's, which are the upstream's bytes.
const gemini = client(config.geminiKey);
const GEMINI_REQUEST = { model: config.geminiModel, messages: MESSAGES };

result.geminiStreamHelper = await check(async () => {
  const runner = gemini.chat.completions.stream(GEMINI_REQUEST);
  const contents = [];
  const finishReasons = [];
  const roles = [];
  for await (const chunk of runner) {
    contents.push(chunk.choices?.[0]?.delta?.content ?? null);
    roles.push(chunk.choices?.[0]?.delta?.role ?? null);
    finishReasons.push(chunk.choices?.[0]?.finish_reason ?? null);
  }
  const final = await runner.finalChatCompletion();
  const choice = final.choices?.[0];
  return {
    contents,
    roles,
    finishReasons,
    content: choice?.message?.content ?? null,
    role: choice?.message?.role ?? null,
    finishReason: choice?.finish_reason ?? null,
    index: choice?.index ?? null,
    choiceCount: final.choices?.length ?? null,
    object: final.object ?? null,
    model: final.model ?? null,
  };
});

result.geminiStream = await check(async () => {
  const stream = await gemini.chat.completions
    .create({ ...GEMINI_REQUEST, stream: true, stream_options: { include_usage: true } });
  const contents = [];
  const finishReasons = [];
  const roles = [];
  const objects = [];
  let usage = null;
  for await (const chunk of stream) {
    objects.push(chunk.object ?? null);
    usage = chunk.usage ?? usage;
    const choice = chunk.choices?.[0];
    if (choice) {
      contents.push(choice.delta?.content ?? null);
      roles.push(choice.delta?.role ?? null);
      finishReasons.push(choice.finish_reason ?? null);
    }
  }
  return { contents, roles, finishReasons, objects, usage };
});

result.geminiChat = await check(async () => {
  const completion = await gemini.chat.completions.create(GEMINI_REQUEST);
  return {
    content: completion.choices?.[0]?.message?.content ?? null,
    role: completion.choices?.[0]?.message?.role ?? null,
    finishReason: completion.choices?.[0]?.finish_reason ?? null,
    object: completion.object ?? null,
    usage: completion.usage ?? null,
  };
});

process.stdout.write(`@@result ${JSON.stringify(result)}\n`);
