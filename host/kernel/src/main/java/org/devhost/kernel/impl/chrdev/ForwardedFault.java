package org.devhost.kernel.impl.chrdev;

/**
 * A driver's fault that happened where the driver runs (an isolated module's process) and is
 * reported here: it stands for the original throwable, whose class name ({@link #type}) and text
 * the reports show as they would show the original's. No stack of its own. Immutable.
 */
public final class ForwardedFault extends RuntimeException {
    private final String type;

    /**
     * @param type the original's simple class name ({@code NullPointerException})
     * @param text the original's {@code toString()}
     */
    public ForwardedFault(String type, String text) {
        super(text, null, false, false);
        this.type = type;
    }

    /** The original's simple class name. */
    public String type() {
        return type;
    }

    /** The simple class name of {@code e}, or of the original it stands for. */
    public static String typeOf(Throwable e) {
        return e instanceof ForwardedFault f ? f.type : e.getClass().getSimpleName();
    }

    @Override
    public String toString() {
        return getMessage();
    }
}
