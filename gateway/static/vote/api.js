// The GraphQL calls the voting client makes (same origin, /graphql). Tokens live in
// sessionStorage: closing the tab logs the owner out.

const TOKEN = "linli.vote.token";
const REFRESH = "linli.vote.refresh";

export class ApiError extends Error {
  constructor(message, code, extensions = {}) {
    super(message);
    this.code = code || "ERROR";
    // what the API adds for the client to word the error itself: a proposal's `status` and the
    // workflow `step` refused, a `reason`, who voted (`voted_by`)...
    this.extensions = extensions || {};
  }
}

export const session = {
  get token() { return sessionStorage.getItem(TOKEN); },
  save(payload) {
    sessionStorage.setItem(TOKEN, payload.accessToken);
    sessionStorage.setItem(REFRESH, payload.refreshToken);
  },
  clear() {
    sessionStorage.removeItem(TOKEN);
    sessionStorage.removeItem(REFRESH);
  },
};

async function post(query, variables, token) {
  const headers = { "content-type": "application/json" };
  if (token) headers.authorization = `Bearer ${token}`;
  let response;
  try {
    response = await fetch("/graphql", { method: "POST", headers, body: JSON.stringify({ query, variables }) });
  } catch (e) {
    throw new ApiError(String(e), "NETWORK");
  }
  let body;
  try {
    body = await response.json();
  } catch (e) {
    throw new ApiError(`HTTP ${response.status}`, "NETWORK");
  }
  const errors = body.errors || (body.error ? [body.error] : null);
  if (errors && errors.length) {
    const e = errors[0];
    throw new ApiError(e.message, (e.extensions && e.extensions.code) || e.code, e.extensions);
  }
  return body.data;
}

async function refresh() {
  const token = sessionStorage.getItem(REFRESH);
  if (!token) return false;
  try {
    const data = await post(
      "mutation($r: String!) { refreshToken(refreshToken: $r) { accessToken refreshToken } }", { r: token });
    session.save(data.refreshToken);
    return true;
  } catch {
    return false;
  }
}

/** Runs `query` as the logged-in owner; refreshes the access token once when it has expired. */
export async function gql(query, variables = {}) {
  try {
    return await post(query, variables, session.token);
  } catch (e) {
    if (e.code === "UNAUTHENTICATED" && (await refresh())) return post(query, variables, session.token);
    throw e;
  }
}

export async function login(username, password, tenant) {
  const data = await post(
    "mutation($u: String!, $p: String!, $t: String) { login(username: $u, password: $p, tenant: $t) { accessToken refreshToken } }",
    { u: username, p: password, t: tenant || null });
  session.save(data.login);
}

const RECEIPT = `proposalId choice voterAddress txHash blockNumber status governanceAddress chainId chainProposalId`;
const TALLY = `totalPersons totalArea participatingPersons participatingArea forPersons forArea againstPersons
  againstArea abstainPersons abstainArea participationReached passed`;

export const Q = {
  myProposals: `query { myProposals { id title matter status votingStartsAt votingEndsAt objectionEndsAt myVote { status } } }`,
  proposal: `query($id: ID!) { proposal(id: $id) { id title body matter status votingStartsAt votingEndsAt objectionEndsAt
    scopeBuildings totalPersons totalArea contentHash chainProposalId governanceAddress chainId
    documents { name url sha256 } tally { ${TALLY} }
    myUnits { unitNumber buildingName area shareBp estimatedCostFen } myVote { ${RECEIPT} }
    objectionCount myObjections { id text filedAt } } }`,
  tally: `query($id: ID!) { proposal(id: $id) { id status tally { ${TALLY} } } }`,
  castVote: `mutation($p: ID!, $c: VoteChoice!) { castVote(proposalId: $p, choice: $c) { ${RECEIPT} } }`,
  ballotTypedData: `query($p: ID!, $c: VoteChoice!) { ballotTypedData(proposalId: $p, choice: $c) }`,
  castSignedVote: `mutation($p: ID!, $c: VoteChoice!, $a: String!, $s: String!) {
    castSignedVote(proposalId: $p, choice: $c, voterAddress: $a, signature: $s) { ${RECEIPT} } }`,
  verify: `query($p: ID!) { verifyVoteReceipt(proposalId: $p) { onChain matchesChoice blockNumber message } }`,
  fileObjection: `mutation($p: ID!, $t: String!) { fileObjection(proposalId: $p, text: $t) { id status objectionEndsAt } }`,
};
