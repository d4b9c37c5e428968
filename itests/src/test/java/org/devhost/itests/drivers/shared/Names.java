package org.devhost.itests.drivers.shared;

/** A package that one test module exports and another imports: the second uses the first. */
public final class Names {
    private Names() {}

    /** A method, not a constant: a constant would be inlined and the package never imported. */
    public static String takesNothing() {
        return "takes_nothing";
    }
}
