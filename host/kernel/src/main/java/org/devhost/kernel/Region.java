package org.devhost.kernel;

/**
 * A range of device numbers reserved under one name: a line of {@code /proc/devices}.
 *
 * <p>Immutable value.
 *
 * @param name the name given at allocation ({@code "misc"} for the kernel's misc region)
 * @param major the major
 * @param baseMinor the first minor
 * @param count how many minors
 * @param module the owning module's name ({@code "kernel"} for the misc region)
 */
public record Region(String name, int major, int baseMinor, int count, String module) {
    /** True when the two ranges share a major and at least one minor. */
    public boolean overlaps(int otherMajor, int otherBase, int otherCount) {
        return major == otherMajor && baseMinor < otherBase + otherCount && otherBase < baseMinor + count;
    }
}
