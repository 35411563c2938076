// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {IOwnersRegistry} from "../registry/IOwnersRegistry.sol";
import {IOwnersGovernance} from "./IOwnersGovernance.sol";
import {Art278} from "./Art278.sol";

/**
 * @title OwnersGovernance
 * @dev Owners' proposals and votes of one community under Civil Code Art. 278.
 *
 * A proposal freezes the registry at the block before its creation (`snapshot`) and records the scope's
 * total area and persons. Each person votes once, For, Against or Abstain, with the area they held at the
 * snapshot and a headcount of one; the tally keeps area and persons for each option in one storage slot, so a
 * vote costs O(1). Votes are cast directly or as EIP-712 `Ballot` signatures relayed by anyone (the platform
 * pays the gas), one by one or in batches.
 *
 * Lifecycle: Pending -> Active (by time, announced by {ProposalCreated}) -> after the window anyone calls
 * {publishResult}: DefeatedNoQuorum | Defeated | Succeeded (the preliminary result notice) -> after the
 * objection period anyone calls {finalize}: Final -> the executor marks it Executed. The committee may cancel
 * before the result is Final.
 */
contract OwnersGovernance is IOwnersGovernance, AccessControl, EIP712 {
    /// @dev May create proposals (owners' committee, or the platform on its behalf).
    bytes32 public constant PROPOSER_ROLE = keccak256("PROPOSER_ROLE");
    /// @dev May cancel proposals that are not Final.
    bytes32 public constant CANCELLER_ROLE = keccak256("CANCELLER_ROLE");
    /// @dev May mark Final proposals Executed (the maintenance fund, the platform's executor).
    bytes32 public constant EXECUTOR_ROLE = keccak256("EXECUTOR_ROLE");

    /// @dev EIP-712 type of a signed vote.
    bytes32 public constant BALLOT_TYPEHASH =
        keccak256("Ballot(uint256 proposalId,uint8 support,address voter,uint256 nonce)");

    /// @dev Vote options, in the order of OpenZeppelin's GovernorCountingSimple.
    enum VoteType {
        Against,
        For,
        Abstain
    }

    /// @dev Why a ballot of a batch was not counted (see {VoteRejected}); `None` means counted.
    enum Rejection {
        None,
        NonexistentProposal,
        NotActive,
        InvalidSupport,
        AlreadyVoted,
        InvalidNonce,
        InvalidSignature,
        NoVotingWeight
    }

    struct Proposal {
        address proposer;
        uint48 voteStart;
        uint48 voteEnd;
        uint48 snapshot;
        uint48 publishedAt;
        uint32 scopeId;
        Art278.Matter matter;
        ProposalState status;
        uint48 totalArea;
        uint32 totalPersons;
        bytes32 contentHash;
    }

    /// @dev The whole tally fits one slot, so a vote writes it once.
    struct Tally {
        uint48 againstArea;
        uint48 forArea;
        uint48 abstainArea;
        uint32 againstPersons;
        uint32 forPersons;
        uint32 abstainPersons;
    }

    struct Receipt {
        bool hasVoted;
        uint8 support;
        uint48 area;
    }

    /// @dev A relayed signed vote.
    struct SignedBallot {
        uint256 proposalId;
        uint8 support;
        address voter;
        uint256 nonce;
        bytes signature;
    }

    IOwnersRegistry private immutable _registry;
    uint48 private immutable _objectionPeriod;

    uint256 private _proposalCount;
    mapping(uint256 proposalId => Proposal) private _proposals;
    mapping(uint256 proposalId => Tally) private _tallies;
    mapping(uint256 proposalId => mapping(address voter => Receipt)) private _receipts;

    /// @dev Emitted when a proposal is created; it is Active from `voteStart` to `voteEnd` inclusive.
    event ProposalCreated(
        uint256 indexed proposalId,
        address indexed proposer,
        Art278.Matter matter,
        uint32 scopeId,
        uint48 snapshot,
        uint48 voteStart,
        uint48 voteEnd,
        uint256 totalArea,
        uint256 totalPersons,
        bytes32 contentHash
    );
    /// @dev Emitted for every counted vote; `area` is the voter's area at the snapshot, the headcount is one.
    event VoteCast(uint256 indexed proposalId, address indexed voter, uint8 support, uint256 area);
    /// @dev Emitted by {castVotesBySig} for a ballot it skipped.
    event VoteRejected(uint256 indexed proposalId, address indexed voter, Rejection reason);
    /// @dev Emitted by {publishResult}: the preliminary result notice (初步统计结果公示).
    event ProposalResultPublished(
        uint256 indexed proposalId,
        ProposalState outcome,
        uint256 forArea,
        uint256 againstArea,
        uint256 abstainArea,
        uint256 forPersons,
        uint256 againstPersons,
        uint256 abstainPersons,
        uint48 objectionEnd
    );
    /// @dev Emitted by {finalize} once the objection period of a Succeeded proposal is over.
    event ProposalFinalized(uint256 indexed proposalId);
    /// @dev Emitted by {markExecuted}.
    event ProposalExecuted(uint256 indexed proposalId, address indexed executor);
    /// @dev Emitted by {cancel}; `reasonHash` is the hash of the published reason.
    event ProposalCancelled(uint256 indexed proposalId, bytes32 reasonHash);

    error GovernanceNonexistentProposal(uint256 proposalId);
    error GovernanceInvalidVotingWindow(uint48 voteStart, uint48 voteEnd, uint256 currentTime);
    error GovernanceScopeNotReady(uint32 scopeId);
    error GovernanceEmptyScope(uint32 scopeId);
    error GovernanceUnexpectedProposalState(uint256 proposalId, ProposalState current);
    error GovernanceInvalidSupport(uint8 support);
    error GovernanceAlreadyVoted(uint256 proposalId, address voter);
    error GovernanceInvalidNonce(address voter, uint256 expected, uint256 given);
    error GovernanceInvalidSignature(address voter);
    error GovernanceNoVotingWeight(uint256 proposalId, address voter);
    error GovernanceObjectionPeriodRunning(uint256 proposalId, uint48 objectionEnd);

    constructor(
        address admin,
        IOwnersRegistry registry_,
        uint48 objectionPeriod_
    ) EIP712("Linli Owners Governance", "1") {
        _registry = registry_;
        _objectionPeriod = objectionPeriod_;
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _grantRole(PROPOSER_ROLE, admin);
        _grantRole(CANCELLER_ROLE, admin);
        _grantRole(EXECUTOR_ROLE, admin);
    }

    // ------------------------------------------------------------------------------------------- proposals

    /**
     * @notice Creates a proposal on an Art. 278 `matter` for the owners of `scopeId`.
     * @dev Emits {ProposalCreated} with the frozen totals of the scope.
     * @param voteStart first second (unix time) votes are accepted; not in the past.
     * @param voteEnd last second votes are accepted; after `voteStart`.
     * @param contentHash hash of the proposal document, or of the action it authorises.
     */
    function propose(
        Art278.Matter matter,
        uint32 scopeId,
        uint48 voteStart,
        uint48 voteEnd,
        bytes32 contentHash
    ) external onlyRole(PROPOSER_ROLE) returns (uint256 proposalId) {
        if (voteStart < block.timestamp || voteEnd <= voteStart) {
            revert GovernanceInvalidVotingWindow(voteStart, voteEnd, block.timestamp);
        }
        if (!_registry.scopeReady(scopeId)) revert GovernanceScopeNotReady(scopeId);
        // The registry as it stood at the end of the previous block: later changes cannot move this vote.
        uint48 snapshot = SafeCast.toUint48(block.number - 1);
        (uint256 totalArea, uint256 totalPersons) = _registry.totalsAt(scopeId, snapshot);
        if (totalPersons == 0) revert GovernanceEmptyScope(scopeId);

        proposalId = ++_proposalCount;
        _proposals[proposalId] = Proposal({
            proposer: msg.sender,
            voteStart: voteStart,
            voteEnd: voteEnd,
            snapshot: snapshot,
            publishedAt: 0,
            scopeId: scopeId,
            matter: matter,
            status: ProposalState.Pending,
            totalArea: SafeCast.toUint48(totalArea),
            totalPersons: SafeCast.toUint32(totalPersons),
            contentHash: contentHash
        });
        emit ProposalCreated(
            proposalId,
            msg.sender,
            matter,
            scopeId,
            snapshot,
            voteStart,
            voteEnd,
            totalArea,
            totalPersons,
            contentHash
        );
    }

    /**
     * @notice Publishes the preliminary result of a proposal whose voting window is over. Anyone may call.
     * @dev Emits {ProposalResultPublished}; the outcome is DefeatedNoQuorum, Defeated or Succeeded.
     */
    function publishResult(uint256 proposalId) external returns (ProposalState outcome) {
        Proposal storage p = _existingProposal(proposalId);
        if (p.status != ProposalState.Pending || block.timestamp <= p.voteEnd) {
            revert GovernanceUnexpectedProposalState(proposalId, state(proposalId));
        }
        outcome = _outcome(proposalId);
        uint48 now_ = SafeCast.toUint48(block.timestamp);
        p.status = outcome;
        p.publishedAt = now_;
        Tally memory t = _tallies[proposalId];
        emit ProposalResultPublished(
            proposalId,
            outcome,
            t.forArea,
            t.againstArea,
            t.abstainArea,
            t.forPersons,
            t.againstPersons,
            t.abstainPersons,
            outcome == ProposalState.Succeeded ? now_ + _objectionPeriod : 0
        );
    }

    /**
     * @notice Makes a Succeeded proposal Final once its objection period (异议公示) is over. Anyone may call.
     * @dev Emits {ProposalFinalized}.
     */
    function finalize(uint256 proposalId) external {
        Proposal storage p = _existingProposal(proposalId);
        if (p.status != ProposalState.Succeeded) {
            revert GovernanceUnexpectedProposalState(proposalId, state(proposalId));
        }
        uint48 objectionEnd = p.publishedAt + _objectionPeriod;
        if (block.timestamp < objectionEnd) revert GovernanceObjectionPeriodRunning(proposalId, objectionEnd);
        p.status = ProposalState.Final;
        emit ProposalFinalized(proposalId);
    }

    /**
     * @notice Records that a Final proposal has been carried out.
     * @dev Emits {ProposalExecuted}. Restricted to EXECUTOR_ROLE.
     */
    function markExecuted(uint256 proposalId) external onlyRole(EXECUTOR_ROLE) {
        Proposal storage p = _existingProposal(proposalId);
        if (p.status != ProposalState.Final) revert GovernanceUnexpectedProposalState(proposalId, state(proposalId));
        p.status = ProposalState.Executed;
        emit ProposalExecuted(proposalId, msg.sender);
    }

    /**
     * @notice Cancels a proposal that is Pending, Active, awaiting its result, or Succeeded but not yet Final.
     * @dev Emits {ProposalCancelled}. Restricted to CANCELLER_ROLE.
     */
    function cancel(uint256 proposalId, bytes32 reasonHash) external onlyRole(CANCELLER_ROLE) {
        Proposal storage p = _existingProposal(proposalId);
        ProposalState current = state(proposalId);
        bool open = p.status == ProposalState.Pending;
        if (!open && current != ProposalState.Succeeded) revert GovernanceUnexpectedProposalState(proposalId, current);
        p.status = ProposalState.Cancelled;
        emit ProposalCancelled(proposalId, reasonHash);
    }

    // ----------------------------------------------------------------------------------------------- votes

    /**
     * @notice Casts the caller's vote (0 Against, 1 For, 2 Abstain).
     * @dev Emits {VoteCast}.
     */
    function castVote(uint256 proposalId, uint8 support) external returns (uint256 area) {
        Rejection rejection;
        (rejection, area) = _checkVoter(proposalId, msg.sender, support);
        if (rejection != Rejection.None) _revertRejection(rejection, proposalId, msg.sender, support, 0, 0);
        _recordVote(proposalId, msg.sender, support, area);
    }

    /**
     * @notice Casts `voter`'s vote from an EIP-712 `Ballot` signature; anyone may relay it.
     * @dev Emits {VoteCast}. `nonce` must equal {nonces}(proposalId, voter).
     */
    function castVoteBySig(
        uint256 proposalId,
        uint8 support,
        address voter,
        uint256 nonce,
        bytes calldata signature
    ) external returns (uint256 area) {
        Rejection rejection;
        (rejection, area) = _checkBallot(proposalId, support, voter, nonce, signature);
        if (rejection != Rejection.None) {
            _revertRejection(rejection, proposalId, voter, support, nonce, _nonce(proposalId, voter));
        }
        _recordVote(proposalId, voter, support, area);
    }

    /**
     * @notice Casts many signed votes in one transaction, skipping the ballots that would revert alone.
     * @dev Emits {VoteCast} for each counted ballot and {VoteRejected} (with the reason) for each skipped one,
     * so a relayer can re-submit a whole batch after a crash: ballots already counted are skipped, never
     * counted twice. Never reverts because of one ballot.
     * @return counted the number of ballots counted.
     */
    function castVotesBySig(SignedBallot[] calldata ballots) external returns (uint256 counted) {
        if (ballots.length == 0) return 0;
        // A batch is normally one proposal's: its voters' areas come from the registry in one call, and its
        // tally is added up in memory and written once. Ballots on other proposals take the one-by-one path.
        uint256 batchId = ballots[0].proposalId;
        uint256[] memory areas = _batchAreas(batchId, ballots);
        bool known = areas.length != 0;
        Tally memory tally = _tallies[batchId];
        bytes32 domain = _domainSeparatorV4();
        for (uint256 i = 0; i < ballots.length; ++i) {
            SignedBallot calldata b = ballots[i];
            uint256 id = b.proposalId;
            address voter = b.voter;
            uint8 support = b.support;
            Rejection rejection;
            uint256 area;
            if (known && id == batchId) {
                Receipt storage receipt = _receipts[id][voter];
                area = areas[i];
                rejection = _batchRejection(domain, receipt.hasVoted, id, support, voter, b.nonce, b.signature, area);
                if (rejection == Rejection.None) {
                    ++counted;
                    // Receipt({hasVoted: true, support: support, area: uint48(area)}) in one write
                    assembly ("memory-safe") {
                        sstore(receipt.slot, or(1, or(shl(8, support), shl(16, and(area, 0xffffffffffff)))))
                    }
                    _count(tally, support, uint48(area));
                    emit VoteCast(id, voter, support, area);
                    continue;
                }
            } else {
                (rejection, area) = _checkBallot(id, support, voter, b.nonce, b.signature);
                if (rejection == Rejection.None) {
                    ++counted;
                    _recordVote(id, voter, support, area);
                    continue;
                }
            }
            emit VoteRejected(id, voter, rejection);
        }
        if (known) _tallies[batchId] = tally;
    }

    // ----------------------------------------------------------------------------------------------- views

    /// @inheritdoc IOwnersGovernance
    function state(uint256 proposalId) public view returns (ProposalState) {
        Proposal storage p = _existingProposal(proposalId);
        ProposalState status = p.status;
        if (status != ProposalState.Pending) return status;
        if (block.timestamp < p.voteStart) return ProposalState.Pending;
        if (block.timestamp <= p.voteEnd) return ProposalState.Active;
        // Window over, result not yet published: the outcome the publication will record.
        return _outcome(proposalId);
    }

    /// @dev The stored proposal.
    function proposal(uint256 proposalId) external view returns (Proposal memory) {
        return _existingProposal(proposalId);
    }

    /// @dev The tally: area and persons for each option.
    function proposalTally(uint256 proposalId) external view returns (Tally memory) {
        _existingProposal(proposalId);
        return _tallies[proposalId];
    }

    /// @inheritdoc IOwnersGovernance
    function proposalMatter(uint256 proposalId) external view returns (Art278.Matter) {
        return _existingProposal(proposalId).matter;
    }

    /// @inheritdoc IOwnersGovernance
    function proposalContentHash(uint256 proposalId) external view returns (bytes32) {
        return _existingProposal(proposalId).contentHash;
    }

    /// @dev Number of proposals created; ids run from 1.
    function proposalCount() external view returns (uint256) {
        return _proposalCount;
    }

    /// @dev A voter's receipt: whether they voted, how, and with which area.
    function getReceipt(uint256 proposalId, address voter) external view returns (Receipt memory) {
        return _receipts[proposalId][voter];
    }

    /**
     * @dev Next nonce a `Ballot` of `voter` on `proposalId` must carry. A person votes once, so the
     * per-proposal nonce is 0 until the vote is counted and 1 after: a signature can never be used twice.
     */
    function nonces(uint256 proposalId, address voter) external view returns (uint256) {
        return _nonce(proposalId, voter);
    }

    /// @dev The EIP-712 digest a voter signs.
    function hashBallot(uint256 proposalId, uint8 support, address voter, uint256 nonce) public view returns (bytes32) {
        return _ballotDigest(_domainSeparatorV4(), proposalId, support, voter, nonce);
    }

    /// @dev The registry this governance reads.
    function registry() external view returns (IOwnersRegistry) {
        return _registry;
    }

    /// @dev Length of the objection period after the preliminary result, in seconds.
    function objectionPeriod() external view returns (uint48) {
        return _objectionPeriod;
    }

    // ------------------------------------------------------------------------------------------- internals

    function _existingProposal(uint256 proposalId) private view returns (Proposal storage p) {
        p = _proposals[proposalId];
        if (p.proposer == address(0)) revert GovernanceNonexistentProposal(proposalId);
    }

    function _outcome(uint256 proposalId) private view returns (ProposalState) {
        Proposal storage p = _proposals[proposalId];
        Tally memory t = _tallies[proposalId];
        uint256 partArea = uint256(t.forArea) + t.againstArea + t.abstainArea;
        uint256 partPersons = uint256(t.forPersons) + t.againstPersons + t.abstainPersons;
        if (!Art278.quorumReached(partArea, partPersons, p.totalArea, p.totalPersons)) {
            return ProposalState.DefeatedNoQuorum;
        }
        return Art278.passed(p.matter, t.forArea, t.forPersons, partArea, partPersons)
            ? ProposalState.Succeeded
            : ProposalState.Defeated;
    }

    function _nonce(uint256 proposalId, address voter) private view returns (uint256) {
        return _receipts[proposalId][voter].hasVoted ? 1 : 0;
    }

    function _checkVoter(
        uint256 proposalId,
        address voter,
        uint8 support
    ) private view returns (Rejection, uint256 area) {
        Proposal storage p = _proposals[proposalId];
        if (p.proposer == address(0)) return (Rejection.NonexistentProposal, 0);
        if (p.status != ProposalState.Pending || block.timestamp < p.voteStart || block.timestamp > p.voteEnd) {
            return (Rejection.NotActive, 0);
        }
        if (support > uint8(VoteType.Abstain)) return (Rejection.InvalidSupport, 0);
        if (_receipts[proposalId][voter].hasVoted) return (Rejection.AlreadyVoted, 0);
        area = _registry.areaAt(p.scopeId, voter, p.snapshot);
        if (area == 0) return (Rejection.NoVotingWeight, 0);
        return (Rejection.None, area);
    }

    function _checkBallot(
        uint256 proposalId,
        uint8 support,
        address voter,
        uint256 nonce,
        bytes calldata signature
    ) private view returns (Rejection, uint256) {
        if (nonce != _nonce(proposalId, voter)) {
            return (_receipts[proposalId][voter].hasVoted ? Rejection.AlreadyVoted : Rejection.InvalidNonce, 0);
        }
        if (!_signedBy(_domainSeparatorV4(), proposalId, support, voter, nonce, signature)) {
            return (Rejection.InvalidSignature, 0);
        }
        return _checkVoter(proposalId, voter, support);
    }

    /// @dev The EIP-712 digest of a ballot, `_hashTypedDataV4(keccak256(abi.encode(BALLOT_TYPEHASH, proposalId,
    /// support, voter, nonce)))`, in scratch memory: a batch hashes hundreds of ballots, and abi.encode would grow
    /// memory (and its quadratic cost) with each; the domain separator is computed once per batch.
    function _ballotDigest(
        bytes32 domain,
        uint256 proposalId,
        uint8 support,
        address voter,
        uint256 nonce
    ) private pure returns (bytes32 digest) {
        bytes32 typeHash = BALLOT_TYPEHASH;
        assembly ("memory-safe") {
            let m := mload(0x40)
            mstore(m, typeHash)
            mstore(add(m, 0x20), proposalId)
            mstore(add(m, 0x40), and(support, 0xff))
            mstore(add(m, 0x60), and(voter, 0xffffffffffffffffffffffffffffffffffffffff))
            mstore(add(m, 0x80), nonce)
            let structHash := keccak256(m, 0xa0)
            mstore(m, hex"1901")
            mstore(add(m, 0x02), domain)
            mstore(add(m, 0x22), structHash)
            digest := keccak256(m, 0x42)
        }
    }

    /// @dev Whether `signature` is `voter`'s over the ballot: a 65-byte (r, s, v) with s in the lower half-order
    /// and v 27 or 28, as ECDSA.tryRecover accepts, recovered from calldata without copying it.
    function _signedBy(
        bytes32 domain,
        uint256 proposalId,
        uint8 support,
        address voter,
        uint256 nonce,
        bytes calldata signature
    ) private view returns (bool ok) {
        if (signature.length != 65 || voter == address(0)) return false;
        bytes32 digest = _ballotDigest(domain, proposalId, support, voter, nonce);
        assembly ("memory-safe") {
            let r := calldataload(signature.offset)
            let s := calldataload(add(signature.offset, 0x20))
            let v := byte(0, calldataload(add(signature.offset, 0x40)))
            if iszero(gt(s, 0x7FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF5D576E7357A4501DDFE92F46681B20A0)) {
                let m := mload(0x40)
                mstore(m, digest)
                mstore(add(m, 0x20), v)
                mstore(add(m, 0x40), r)
                mstore(add(m, 0x60), s)
                mstore(0x00, 0)
                // the precompile returns nothing for an invalid v or signature: 0 stays, never equal to voter
                pop(staticcall(gas(), 0x01, m, 0x80, 0x00, 0x20))
                ok := eq(mload(0x00), voter)
            }
        }
    }

    /// @dev The voters' areas at `proposalId`'s snapshot, or none when it does not exist or is not Active.
    function _batchAreas(uint256 proposalId, SignedBallot[] calldata ballots) private view returns (uint256[] memory) {
        Proposal storage p = _proposals[proposalId];
        if (
            p.proposer == address(0) ||
            p.status != ProposalState.Pending ||
            block.timestamp < p.voteStart ||
            block.timestamp > p.voteEnd
        ) return new uint256[](0);
        uint256 n = ballots.length;
        address[] memory voters = new address[](n);
        // voters[i] = ballots[i].voter without re-validating each element's offset here: the loop of
        // {castVotesBySig} reads every ballot through the checked accessors (a malformed batch reverts there)
        assembly ("memory-safe") {
            for { let i := 0 } lt(i, n) { i := add(i, 1) } {
                let b := add(ballots.offset, calldataload(add(ballots.offset, shl(5, i))))
                mstore(add(add(voters, 0x20), shl(5, i)), and(calldataload(add(b, 0x40)), 0xffffffffffffffffffffffffffffffffffffffff))
            }
        }
        return _registry.areasAt(p.scopeId, voters, p.snapshot);
    }

    /// @dev {_checkBallot} for a ballot of a batch whose proposal exists and is Active; `area` is the voter's.
    function _batchRejection(
        bytes32 domain,
        bool voted,
        uint256 proposalId,
        uint8 support,
        address voter,
        uint256 nonce,
        bytes calldata signature,
        uint256 area
    ) private view returns (Rejection) {
        if (nonce != (voted ? 1 : 0)) return voted ? Rejection.AlreadyVoted : Rejection.InvalidNonce;
        if (!_signedBy(domain, proposalId, support, voter, nonce, signature)) return Rejection.InvalidSignature;
        if (support > uint8(VoteType.Abstain)) return Rejection.InvalidSupport;
        if (voted) return Rejection.AlreadyVoted;
        if (area == 0) return Rejection.NoVotingWeight;
        return Rejection.None;
    }

    function _recordVote(uint256 proposalId, address voter, uint8 support, uint256 area) private {
        uint48 area48 = uint48(area); // areas are uint48 in the registry
        _receipts[proposalId][voter] = Receipt({hasVoted: true, support: support, area: area48});
        Tally memory t = _tallies[proposalId];
        _count(t, support, area48);
        _tallies[proposalId] = t;
        emit VoteCast(proposalId, voter, support, area);
    }

    function _count(Tally memory t, uint8 support, uint48 area) private pure {
        if (support == uint8(VoteType.For)) {
            t.forArea += area;
            t.forPersons += 1;
        } else if (support == uint8(VoteType.Against)) {
            t.againstArea += area;
            t.againstPersons += 1;
        } else {
            t.abstainArea += area;
            t.abstainPersons += 1;
        }
    }

    function _revertRejection(
        Rejection rejection,
        uint256 proposalId,
        address voter,
        uint8 support,
        uint256 givenNonce,
        uint256 expectedNonce
    ) private view {
        if (rejection == Rejection.NonexistentProposal) revert GovernanceNonexistentProposal(proposalId);
        if (rejection == Rejection.NotActive) revert GovernanceUnexpectedProposalState(proposalId, state(proposalId));
        if (rejection == Rejection.InvalidSupport) revert GovernanceInvalidSupport(support);
        if (rejection == Rejection.AlreadyVoted) revert GovernanceAlreadyVoted(proposalId, voter);
        if (rejection == Rejection.InvalidNonce) revert GovernanceInvalidNonce(voter, expectedNonce, givenNonce);
        if (rejection == Rejection.InvalidSignature) revert GovernanceInvalidSignature(voter);
        revert GovernanceNoVotingWeight(proposalId, voter);
    }
}
