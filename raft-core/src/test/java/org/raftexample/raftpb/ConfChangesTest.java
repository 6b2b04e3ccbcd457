package org.raftexample.raftpb;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Go: raftpb/confchange_test.go (TestLeaveJoint), plus the rest of confchange.go's helpers. */
class ConfChangesTest {

    private static ConfChangeSingle single(ConfChangeType type, long id) {
        return ConfChangeSingle.newBuilder().setType(type).setNodeId(id).build();
    }

    @Test
    void confChangeV2HasExactlyTheFieldsLeaveJointKnowsAbout() {
        // leaveJoint must be revisited if a field is added to ConfChangeV2.
        assertEquals(
                List.of("transition", "changes", "context"),
                ConfChangeV2.getDescriptor().getFields().stream()
                        .map(f -> f.getName())
                        .toList());
    }

    static Stream<Arguments> leaveJointCases() {
        ConfChangeSingle add0 = single(ConfChangeType.ConfChangeAddNode, 0);
        ConfChangeSingle remove0 = single(ConfChangeType.ConfChangeRemoveNode, 0);
        return Stream.of(
                Arguments.of(
                        "empty conf change (all zero values)",
                        ConfChangeV2.newBuilder().build(),
                        true),
                Arguments.of(
                        "empty conf change with auto transition explicitly set",
                        ConfChangeV2.newBuilder()
                                .setTransition(ConfChangeTransition.ConfChangeTransitionAuto)
                                .build(),
                        true),
                Arguments.of(
                        "empty changes with context (context should be ignored)",
                        ConfChangeV2.newBuilder()
                                .setTransition(ConfChangeTransition.ConfChangeTransitionAuto)
                                .setContext(ByteString.copyFromUtf8("some context"))
                                .build(),
                        true),
                Arguments.of(
                        "empty changes slice with auto transition",
                        ConfChangeV2.newBuilder()
                                .setTransition(ConfChangeTransition.ConfChangeTransitionAuto)
                                .addAllChanges(List.of())
                                .build(),
                        true),
                Arguments.of(
                        "non-empty changes",
                        ConfChangeV2.newBuilder()
                                .setTransition(ConfChangeTransition.ConfChangeTransitionAuto)
                                .addChanges(add0)
                                .build(),
                        false),
                Arguments.of(
                        "joint implicit transition with empty changes",
                        ConfChangeV2.newBuilder()
                                .setTransition(ConfChangeTransition.ConfChangeTransitionJointImplicit)
                                .build(),
                        false),
                Arguments.of(
                        "joint explicit transition with empty changes",
                        ConfChangeV2.newBuilder()
                                .setTransition(ConfChangeTransition.ConfChangeTransitionJointExplicit)
                                .build(),
                        false),
                Arguments.of(
                        "auto transition with multiple changes",
                        ConfChangeV2.newBuilder()
                                .setTransition(ConfChangeTransition.ConfChangeTransitionAuto)
                                .addChanges(add0)
                                .addChanges(remove0)
                                .build(),
                        false));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("leaveJointCases")
    void leaveJointOnlyForAnEmptyAutoChange(String name, ConfChangeV2 cc, boolean expected) {
        assertEquals(expected, ConfChanges.leaveJoint(cc));
    }

    @Test
    void enterJointForSeveralChangesOrAnExplicitTransition() {
        ConfChangeSingle v2 = single(ConfChangeType.ConfChangeAddNode, 2);
        ConfChangeSingle v3 = single(ConfChangeType.ConfChangeAddNode, 3);

        ConfChangeV2 one = ConfChangeV2.newBuilder().addChanges(v2).build();
        assertFalse(ConfChanges.enterJoint(one));
        assertFalse(ConfChanges.autoLeave(one));

        ConfChangeV2 two =
                ConfChangeV2.newBuilder().addChanges(v2).addChanges(v3).build();
        assertTrue(ConfChanges.enterJoint(two));
        assertTrue(ConfChanges.autoLeave(two));

        ConfChangeV2 implicit = one.toBuilder()
                .setTransition(ConfChangeTransition.ConfChangeTransitionJointImplicit)
                .build();
        assertTrue(ConfChanges.enterJoint(implicit));
        assertTrue(ConfChanges.autoLeave(implicit));

        ConfChangeV2 explicit = one.toBuilder()
                .setTransition(ConfChangeTransition.ConfChangeTransitionJointExplicit)
                .build();
        assertTrue(ConfChanges.enterJoint(explicit));
        assertFalse(ConfChanges.autoLeave(explicit));
    }

    @Test
    void asV2CarriesTheSingleChangeAndContext() {
        ConfChange v1 = ConfChange.newBuilder()
                .setId(7)
                .setType(ConfChangeType.ConfChangeRemoveNode)
                .setNodeId(3)
                .setContext(ByteString.copyFromUtf8("ctx"))
                .build();
        ConfChangeV2 v2 = ConfChanges.asV2(v1);
        assertEquals(
                ConfChangeV2.newBuilder()
                        .addChanges(single(ConfChangeType.ConfChangeRemoveNode, 3))
                        .setContext(ByteString.copyFromUtf8("ctx"))
                        .build(),
                v2);
        assertFalse(v2.hasTransition());

        // Type and node id are always present, even when zero, as in etcd.
        ConfChangeV2 bare = ConfChanges.asV2(ConfChange.getDefaultInstance());
        assertTrue(bare.getChanges(0).hasType() && bare.getChanges(0).hasNodeId());
        assertFalse(bare.hasContext());

        assertSame(v2, ConfChanges.asV2((com.google.protobuf.MessageLite) v2));
        assertSame(v1, ConfChanges.asV1(v1));
        assertNull(ConfChanges.asV1(v2));
        assertThrows(IllegalArgumentException.class, () -> ConfChanges.asV2(HardState.getDefaultInstance()));
    }

    @Test
    void marshalConfChangePicksTheEntryTypeByVersion() throws InvalidProtocolBufferException {
        ConfChange v1 = ConfChange.newBuilder()
                .setType(ConfChangeType.ConfChangeAddNode)
                .setNodeId(2)
                .build();
        ConfChanges.MarshaledConfChange m1 = ConfChanges.marshalConfChange(v1);
        assertEquals(EntryType.EntryConfChange, m1.type());
        assertEquals(v1, ConfChange.parseFrom(m1.data()));

        ConfChangeV2 v2 = ConfChangeV2.newBuilder()
                .addChanges(single(ConfChangeType.ConfChangeAddNode, 2))
                .build();
        ConfChanges.MarshaledConfChange m2 = ConfChanges.marshalConfChange(v2);
        assertEquals(EntryType.EntryConfChangeV2, m2.type());
        assertEquals(v2, ConfChangeV2.parseFrom(m2.data()));

        ConfChanges.MarshaledConfChange none = ConfChanges.marshalConfChange(null);
        assertEquals(EntryType.EntryConfChangeV2, none.type());
        assertNull(none.data());
        Entry e = none.toEntry().build();
        assertFalse(e.hasData());
        assertTrue(ConfChanges.leaveJoint(ConfChangeV2.parseFrom(e.getData())));
    }

    @Test
    void confChangesRoundTripThroughStrings() {
        List<ConfChangeSingle> ccs = ConfChanges.fromString("  v1 l2 r3 u18446744073709551615 ");
        assertEquals(
                List.of(
                        single(ConfChangeType.ConfChangeAddNode, 1),
                        single(ConfChangeType.ConfChangeAddLearnerNode, 2),
                        single(ConfChangeType.ConfChangeRemoveNode, 3),
                        single(ConfChangeType.ConfChangeUpdateNode, -1)),
                ccs);
        assertEquals("v1 l2 r3 u18446744073709551615", ConfChanges.toString(ccs));
        assertEquals(List.of(), ConfChanges.fromString("   "));
        assertEquals("", ConfChanges.toString(List.of()));
    }

    @Test
    void confChangesFromStringReportsGoErrors() {
        assertEquals(
                "unknown token v",
                assertThrows(IllegalArgumentException.class, () -> ConfChanges.fromString("v1 v"))
                        .getMessage());
        assertEquals(
                "unknown input: x1",
                assertThrows(IllegalArgumentException.class, () -> ConfChanges.fromString("x1"))
                        .getMessage());
        assertEquals(
                "strconv.ParseUint: parsing \"a\": invalid syntax",
                assertThrows(IllegalArgumentException.class, () -> ConfChanges.fromString("va"))
                        .getMessage());
        assertEquals(
                "strconv.ParseUint: parsing \"-1\": invalid syntax",
                assertThrows(IllegalArgumentException.class, () -> ConfChanges.fromString("v-1"))
                        .getMessage());
        assertEquals(
                "strconv.ParseUint: parsing \"18446744073709551616\": value out of range",
                assertThrows(IllegalArgumentException.class, () -> ConfChanges.fromString("v18446744073709551616"))
                        .getMessage());
        // Two spaces make an empty token, as with Go's strings.Split.
        assertEquals(
                "unknown token ",
                assertThrows(IllegalArgumentException.class, () -> ConfChanges.fromString("v1  v2"))
                        .getMessage());
    }

    @Test
    void ensureFillsEveryOptionalField() {
        ConfState cs = ConfChanges.ensureConfState(null);
        assertTrue(cs.hasAutoLeave());
        assertFalse(cs.getAutoLeave());
        ConfState set = ConfState.newBuilder().setAutoLeave(true).build();
        assertSame(set, ConfChanges.ensureConfState(set));

        Snapshot s = ConfChanges.ensureSnapshot(null);
        assertTrue(s.hasMetadata()
                && s.getMetadata().hasIndex()
                && s.getMetadata().hasTerm()
                && s.getMetadata().hasConfState()
                && s.getMetadata().getConfState().hasAutoLeave());
        assertFalse(s.hasData());

        SnapshotMetadata m = ConfChanges.ensureSnapshotMetadata(SnapshotMetadata.newBuilder()
                .setIndex(5)
                .setConfState(ConfState.newBuilder().addVoters(1))
                .build());
        assertEquals(5, m.getIndex());
        assertTrue(m.hasTerm());
        assertEquals(List.of(1L), m.getConfState().getVotersList());
        assertTrue(m.getConfState().hasAutoLeave());
    }
}
