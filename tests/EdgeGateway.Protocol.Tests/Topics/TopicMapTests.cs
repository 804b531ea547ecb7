using EdgeGateway.Protocol.Topics;

namespace EdgeGateway.Protocol.Tests.Topics;

[Trait("Area", "Ssh")]
public sealed class TopicMapTests
{
    private const string Appliance = "plant-7";
    private const string Other = "plant-8";
    private const string Session = "0123456789abcdef0123456789abcdef";

    [Fact]
    public void Builders_produce_the_documented_topics()
    {
        Assert.Equal("eg/v1/plant-7/up/ctl", TopicMap.UpControl(Appliance));
        Assert.Equal("eg/v1/plant-7/up/s/" + Session, TopicMap.UpStream(Appliance, Session));
        Assert.Equal("eg/v1/plant-7/down/ctl", TopicMap.DownControl(Appliance));
        Assert.Equal("eg/v1/plant-7/down/s/" + Session, TopicMap.DownStream(Appliance, Session));
        Assert.Equal("eg/v1/plant-7/down/#", TopicMap.DownFilter(Appliance));
    }

    [Theory]
    [InlineData("eg/v1/plant-7/up/ctl", TopicDirection.Up, TopicKind.Control, null)]
    [InlineData("eg/v1/plant-7/down/ctl", TopicDirection.Down, TopicKind.Control, null)]
    [InlineData("eg/v1/plant-7/up/s/" + Session, TopicDirection.Up, TopicKind.Stream, Session)]
    [InlineData("eg/v1/plant-7/down/s/" + Session, TopicDirection.Down, TopicKind.Stream, Session)]
    public void TryParse_reads_every_topic_shape(string topic, TopicDirection direction, TopicKind kind, string? sessionId)
    {
        Assert.True(TopicMap.TryParse(topic, out var info));
        Assert.Equal(new TopicInfo(Appliance, direction, kind, sessionId), info);
    }

    [Fact]
    public void TryParse_reads_back_what_the_builders_write()
    {
        var id = TopicMap.NewSessionId();

        Assert.True(TopicMap.TryParse(TopicMap.UpStream("a", id), out var info));
        Assert.Equal(new TopicInfo("a", TopicDirection.Up, TopicKind.Stream, id), info);
        Assert.True(TopicMap.TryParse(TopicMap.DownControl(new string('z', TopicMap.MaxApplianceIdLength)), out info));
        Assert.Equal(TopicKind.Control, info.Kind);
    }

    [Theory]
    [InlineData("")]
    [InlineData("eg/v1/")]
    [InlineData("eg/v1/plant-7")]
    [InlineData("eg/v1/plant-7/")]
    [InlineData("eg/v1/plant-7/up")]
    [InlineData("eg/v1/plant-7/up/")]
    [InlineData("eg/v1/plant-7/up/ctl/")]
    [InlineData("eg/v1/plant-7/up/ctl/x")]
    [InlineData("eg/v1/plant-7/up/ctlx")]
    [InlineData("eg/v1/plant-7/up/s/")]
    [InlineData("eg/v1/plant-7/up/s/" + Session + "/x")]
    [InlineData("eg/v1/plant-7/up/s/" + Session + "/")]
    [InlineData("eg/v1/plant-7/sideways/ctl")]
    [InlineData("eg/v1/plant-7/UP/ctl")]
    [InlineData("eg/v1//up/ctl")]
    [InlineData("eg/v2/plant-7/up/ctl")]
    [InlineData("EG/v1/plant-7/up/ctl")]
    [InlineData("/eg/v1/plant-7/up/ctl")]
    [InlineData("$share/g/eg/v1/plant-7/down/ctl")]
    [InlineData("eg/v1/plant-7/up/s/0123456789ABCDEF0123456789ABCDEF")]
    [InlineData("eg/v1/plant-7/up/s/0123456789abcdef0123456789abcde")]
    [InlineData("eg/v1/plant-7/up/s/0123456789abcdef0123456789abcdef0")]
    [InlineData("eg/v1/plant-7/up/s/0123456789abcdef-123456789abcdef")]
    [InlineData("eg/v1/plant-7/up/s/+")]
    [InlineData("eg/v1/plant-7/up/s/#")]
    [InlineData("eg/v1/plant-7/up/#")]
    [InlineData("eg/v1/plant-7/+/ctl")]
    [InlineData("eg/v1/+/up/ctl")]
    [InlineData("eg/v1/#")]
    [InlineData("eg/v1/plant-7/../plant-8/up/ctl")]
    [InlineData("eg/v1/../plant-8/up/ctl")]
    [InlineData("eg/v1/./up/ctl")]
    [InlineData("eg/v1/Plant-7/up/ctl")]
    [InlineData("eg/v1/-plant/up/ctl")]
    [InlineData("eg/v1/plant_7/up/ctl")]
    [InlineData("eg/v1/plänt/up/ctl")]
    [InlineData("eg/v1/plant-7 /up/ctl")]
    [InlineData("eg/v1/plant-7/up/ctl\0")]
    public void TryParse_rejects_anything_else(string topic)
    {
        Assert.False(TopicMap.TryParse(topic, out var info));
        Assert.Equal(default, info);
    }

    [Theory]
    [InlineData("a")]
    [InlineData("0")]
    [InlineData("plant-7")]
    [InlineData("a-")]
    [InlineData("0123456789abcdefghijklmnopqrstuvwxyz-0123456789abcdefghijklmnopq")] // 64
    public void Valid_appliance_ids(string id) => Assert.True(TopicMap.IsValidApplianceId(id));

    [Theory]
    [InlineData("")]
    [InlineData("-a")]
    [InlineData("A")]
    [InlineData("plant_7")]
    [InlineData("plant.7")]
    [InlineData("plant/7")]
    [InlineData("+")]
    [InlineData("#")]
    [InlineData("..")]
    [InlineData("ä")]
    [InlineData("0123456789abcdefghijklmnopqrstuvwxyz-0123456789abcdefghijklmnopqr")] // 65
    public void Invalid_appliance_ids(string id) => Assert.False(TopicMap.IsValidApplianceId(id));

    [Fact]
    public void New_session_ids_are_valid_and_distinct()
    {
        var a = TopicMap.NewSessionId();
        var b = TopicMap.NewSessionId();

        Assert.True(TopicMap.IsValidSessionId(a));
        Assert.True(TopicMap.IsValidSessionId(b));
        Assert.NotEqual(a, b);
    }

    [Fact]
    public void An_appliance_may_publish_to_its_own_up_topics()
    {
        Assert.True(TopicMap.MayPublish(Appliance, TopicMap.UpControl(Appliance)));
        Assert.True(TopicMap.MayPublish(Appliance, TopicMap.UpStream(Appliance, Session)));
    }

    [Theory]
    [InlineData("eg/v1/plant-7/down/ctl")]
    [InlineData("eg/v1/plant-7/down/s/" + Session)]
    [InlineData("eg/v1/plant-8/up/ctl")]
    [InlineData("eg/v1/plant-8/up/s/" + Session)]
    [InlineData("eg/v1/plant-70/up/ctl")]
    [InlineData("eg/v1/plant/up/ctl")]
    [InlineData("eg/v1/plant-7/up/#")]
    [InlineData("eg/v1/plant-7/up/+")]
    [InlineData("eg/v1/plant-7/up/s/+")]
    [InlineData("eg/v1/+/up/ctl")]
    [InlineData("eg/v1/#")]
    [InlineData("#")]
    [InlineData("eg/v1/plant-7/up/ctl/extra")]
    [InlineData("eg/v1/plant-7/../plant-8/up/ctl")]
    [InlineData("eg/v1/plant-7/up/../../plant-8/up/ctl")]
    [InlineData("eg/v1/PLANT-7/up/ctl")]
    [InlineData("eg/v1/plant-7/up/s/0123456789ABCDEF0123456789ABCDEF")]
    [InlineData("eg/v1/plant-7/up/s/not-a-session")]
    [InlineData("")]
    public void An_appliance_may_not_publish_elsewhere(string topic)
    {
        Assert.False(TopicMap.MayPublish(Appliance, topic));
    }

    [Theory]
    [InlineData("+")]
    [InlineData("#")]
    [InlineData("")]
    [InlineData("PLANT-7")]
    [InlineData("plant-7/up")]
    public void A_client_with_a_wildcard_or_invalid_id_may_not_publish_anywhere(string applianceId)
    {
        Assert.False(TopicMap.MayPublish(applianceId, TopicMap.UpControl(Appliance)));
        Assert.False(TopicMap.MayPublish(applianceId, TopicMap.UpControl(applianceId)));
        Assert.False(TopicMap.MayPublish(applianceId, "eg/v1/" + applianceId + "/up/s/" + Session));
    }

    [Fact]
    public void An_appliance_may_subscribe_to_its_own_down_tree()
    {
        Assert.True(TopicMap.MaySubscribe(Appliance, TopicMap.DownFilter(Appliance)));
        Assert.True(TopicMap.MaySubscribe(Appliance, TopicMap.DownControl(Appliance)));
        Assert.True(TopicMap.MaySubscribe(Appliance, TopicMap.DownStream(Appliance, Session)));
    }

    [Theory]
    [InlineData("eg/v1/plant-7/up/ctl")]
    [InlineData("eg/v1/plant-7/up/s/" + Session)]
    [InlineData("eg/v1/plant-7/up/#")]
    [InlineData("eg/v1/plant-7/#")]
    [InlineData("eg/v1/plant-7/+/ctl")]
    [InlineData("eg/v1/plant-7/down/+")]
    [InlineData("eg/v1/plant-7/down/s/+")]
    [InlineData("eg/v1/plant-7/down/s/#")]
    [InlineData("eg/v1/plant-7/down/#/x")]
    [InlineData("eg/v1/plant-8/down/#")]
    [InlineData("eg/v1/plant-8/down/ctl")]
    [InlineData("eg/v1/plant-70/down/#")]
    [InlineData("eg/v1/+/down/#")]
    [InlineData("eg/v1/+/down/ctl")]
    [InlineData("eg/v1/#")]
    [InlineData("eg/#")]
    [InlineData("#")]
    [InlineData("+/+/+/down/#")]
    [InlineData("$share/g/eg/v1/plant-7/down/#")]
    [InlineData("eg/v1/plant-7/down/ctl/extra")]
    [InlineData("eg/v1/plant-7/../plant-8/down/#")]
    [InlineData("eg/v1/plant-7/down/../../plant-8/down/ctl")]
    [InlineData("eg/v1/PLANT-7/down/#")]
    [InlineData("eg/v1/plant-7/down/s/0123456789ABCDEF0123456789ABCDEF")]
    [InlineData("")]
    public void An_appliance_may_not_subscribe_elsewhere(string filter)
    {
        Assert.False(TopicMap.MaySubscribe(Appliance, filter));
    }

    [Theory]
    [InlineData("+")]
    [InlineData("#")]
    [InlineData("")]
    [InlineData("PLANT-7")]
    [InlineData("plant-7/down")]
    public void A_client_with_a_wildcard_or_invalid_id_may_not_subscribe(string applianceId)
    {
        Assert.False(TopicMap.MaySubscribe(applianceId, TopicMap.DownFilter(applianceId)));
        Assert.False(TopicMap.MaySubscribe(applianceId, TopicMap.DownControl(applianceId)));
        Assert.False(TopicMap.MaySubscribe(applianceId, TopicMap.DownFilter(Appliance)));
    }
}
