using EdgeGateway.Appliance.Uplink;

namespace EdgeGateway.Appliance.Tests.Uplink;

[Trait("Area", "SshField")]
public sealed class TopicAliasesTests
{
    [Fact]
    public void The_first_publish_names_the_topic_and_later_ones_send_only_the_alias()
    {
        var aliases = new TopicAliases(10);

        Assert.Equal(("eg/v1/a/up/s/1", (ushort)1), aliases.For("eg/v1/a/up/s/1"));
        Assert.Equal(("eg/v1/a/up/s/2", (ushort)2), aliases.For("eg/v1/a/up/s/2"));
        Assert.Equal((string.Empty, (ushort)1), aliases.For("eg/v1/a/up/s/1"));
        Assert.Equal((string.Empty, (ushort)2), aliases.For("eg/v1/a/up/s/2"));
    }

    [Fact]
    public void Past_the_brokers_maximum_topics_go_by_name_and_no_alias_is_remapped()
    {
        var aliases = new TopicAliases(1);
        aliases.For("first");

        Assert.Equal(("second", (ushort)0), aliases.For("second"));
        Assert.Equal(("second", (ushort)0), aliases.For("second"));
        Assert.Equal((string.Empty, (ushort)1), aliases.For("first"));
        Assert.Equal(("any", (ushort)0), TopicAliases.None.For("any"));
    }
}
