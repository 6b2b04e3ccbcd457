package org.raftexample.raftpb;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Go: raftpb/confstate_test.go (TestConfState_Equivalent). */
class ConfStateTest {

    private static ConfState.Builder cs() {
        return ConfState.newBuilder();
    }

    static Stream<Arguments> cases() {
        return Stream.of(
                // Reordered voters and learners.
                Arguments.of(
                        cs().addAllVoters(List.of(1L, 2L, 3L))
                                .addAllLearners(List.of(5L, 4L, 6L))
                                .addAllVotersOutgoing(List.of(9L, 8L, 7L))
                                .addAllLearnersNext(List.of(10L, 20L, 15L)),
                        cs().addAllVoters(List.of(1L, 2L, 3L))
                                .addAllLearners(List.of(4L, 5L, 6L))
                                .addAllVotersOutgoing(List.of(7L, 9L, 8L))
                                .addAllLearnersNext(List.of(20L, 10L, 15L)),
                        true),
                // Empty and absent lists are the same thing.
                Arguments.of(cs().addAllVoters(List.of()), cs(), true),
                // Non-equivalent voters.
                Arguments.of(cs().addAllVoters(List.of(1L, 2L, 3L, 4L)), cs().addAllVoters(List.of(2L, 1L, 3L)), false),
                Arguments.of(cs().addAllVoters(List.of(1L, 4L, 3L)), cs().addAllVoters(List.of(2L, 1L, 3L)), false),
                // Non-equivalent learners (etcd's case repeats the voters one).
                Arguments.of(cs().addAllVoters(List.of(1L, 2L, 3L, 4L)), cs().addAllVoters(List.of(2L, 1L, 3L)), false),
                // Sensitive to the AutoLeave flag.
                Arguments.of(cs().setAutoLeave(true), cs(), false));
    }

    @ParameterizedTest
    @MethodSource("cases")
    void equivalentIgnoresOrderButNotContent(ConfState.Builder a, ConfState.Builder b, boolean ok) {
        ConfState cs1 = ConfChanges.ensureConfState(a.build());
        ConfState cs2 = ConfChanges.ensureConfState(b.build());
        if (ok) {
            assertDoesNotThrow(() -> ConfChanges.checkEquivalent(cs1, cs2));
        } else {
            assertThrows(IllegalArgumentException.class, () -> ConfChanges.checkEquivalent(cs1, cs2));
        }
    }

    @Test
    void unsetAutoLeaveCountsAsFalse() {
        assertDoesNotThrow(() -> ConfChanges.checkEquivalent(
                cs().build(), cs().setAutoLeave(false).build()));
    }

    @Test
    void mismatchMessageShowsSortedAndOriginalStates() {
        IllegalArgumentException e = assertThrows(
                IllegalArgumentException.class,
                () -> ConfChanges.checkEquivalent(
                        cs().addVoters(2).addVoters(1).build(),
                        cs().addVoters(3).build()));
        assertTrue(e.getMessage().startsWith("ConfStates not equivalent after sorting:\n"), e.getMessage());
        assertTrue(e.getMessage().contains("Inputs were:"), e.getMessage());
        assertEquals(
                "cannot compare ConfState: nil input (left=true, right=false)",
                assertThrows(IllegalArgumentException.class, () -> ConfChanges.checkEquivalent(null, cs().build()))
                        .getMessage());
    }
}
